"""dlt's loads into DuckDB run within a memory limit (warehouse/destination.py); a load that
needs more fails with one line naming the setting, and loses nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import assert_one_clear_line, cli_env, run_cli
from tests.support.simulator import simulator
from tests.support.warehouse import assert_matches_truth


def test_a_load_out_of_memory_names_the_setting_and_the_next_run_loads_what_it_kept(
    tmp_path: Path,
) -> None:
    with simulator(nb_signups=300, nb_donations=60, nb_lists=3, an_people=30) as sim:
        warehouse = str(tmp_path / "w.duckdb")
        starved = cli_env(sim, tmp_path, CIVIC_ETL_DUCKDB_MEMORY_LIMIT="4MB")
        failed = run_cli("extract", "--warehouse", warehouse, env=starved)
        assert_one_clear_line(
            failed, 1, "ran out of memory", "the loads have 4MB", "CIVIC_ETL_DUCKDB_MEMORY_LIMIT"
        )
        again = run_cli("run", "--warehouse", warehouse, env=cli_env(sim, tmp_path))
        assert again.returncode == 0, again.stderr[-3000:]
        assert_matches_truth(Path(warehouse), sim)


def test_a_load_job_dlt_retries_for_memory_is_a_warning_line_each_time_not_a_traceback(
    tmp_path: Path,
) -> None:
    with simulator(nb_signups=300) as sim:
        starved = cli_env(sim, tmp_path, CIVIC_ETL_DUCKDB_MEMORY_LIMIT="4MB")
        warehouse = str(tmp_path / "w.duckdb")
        only_signups = ("--source", "nationbuilder", "--resources", "signups")
        failed = run_cli("extract", "--warehouse", warehouse, *only_signups, env=starved)
        assert_one_clear_line(failed, 1, "ran out of memory", "the loads have 4MB")
        retries = [line for line in failed.stderr.splitlines() if " retried in load " in line]
        assert retries, failed.stderr[-3000:]
        for line in retries:
            assert line.startswith("civic-etl: warning: Job for signups"), line
            assert "Out of Memory" in line and "Possible solutions" not in line, line
