"""The nightly run among analysts' sessions (issue 18 #1, #6): it waits for an open DuckDB file,
is never broken by one opened mid-run, loses nothing when a load fails, and every run it
starts (refused, killed, interrupted) is in `civic_etl.runs` and in `civic-etl status`.

Sessions and runs that must stand in each other's way are processes of their own: DuckDB's
file lock is per process.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from simulator.server import RunningSimulator
from simulator.settings import APIS
from tests.support.cli import (
    assert_one_clear_line,
    civic_etl,
    cli_env,
    run_cli,
    start_civic_etl,
)
from tests.support.sessions import Lines, close_session, open_session, wait_until
from tests.support.simulator import configured, requests_served, reset_stats, simulator
from tests.support.warehouse import assert_matches_truth, query

SIZES = {"nb_signups": 300, "nb_donations": 120, "an_people": 120, "an_actions": 300}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with simulator(**SIZES) as running:
        yield running


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[RunningSimulator]:
    """Slow enough that a run is still extracting when a test acts on it."""
    with simulator(**SIZES, latency_ms=150) as running:
        yield running


def empty_warehouse(tmp_path: Path) -> Path:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    return warehouse


def runs(warehouse: Path) -> list[tuple[str, str, str | None]]:
    return query(warehouse, "select command, status, error from civic_etl.runs order by started_at")


def test_a_session_open_at_the_start_is_waited_for_then_the_run_lands_everything(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    warehouse = empty_warehouse(tmp_path)
    env = cli_env(sim, CIVIC_ETL_WAREHOUSE_WAIT="120")
    reset_stats(sim)
    with open_session(warehouse) as session:
        run = start_civic_etl("run", "--warehouse", str(warehouse), env=env)
        lines = Lines(run)
        waiting = lines.wait_for("waiting for the warehouse")
        assert f"PID {session.pid}" in waiting, waiting
        assert requests_served(sim) == 0, "the run fetched before it had the warehouse"
        close_session(session)
        assert run.wait(timeout=240) == 0, lines.rest()
    assert runs(warehouse) == [("run", "succeeded", None)]
    assert_matches_truth(warehouse, sim)


def test_a_session_that_stays_open_ends_the_run_with_3_naming_it_and_the_next_run_records_it(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    warehouse = empty_warehouse(tmp_path)
    env = cli_env(sim, CIVIC_ETL_WAREHOUSE_WAIT="1")
    reset_stats(sim)
    with open_session(warehouse) as session:
        refused = run_cli("run", "--warehouse", str(warehouse), env=env)
        line = assert_one_clear_line(refused, 3, f"PID {session.pid}", "nothing was extracted")
        assert "CIVIC_ETL_WAREHOUSE_WAIT" in line
        assert requests_served(sim) == 0
        busy_status = run_cli("status", "--warehouse", str(warehouse), env=env)
    # read-only sessions share the file: status read it beside the analyst's session
    assert busy_status.returncode == 0, busy_status.stderr
    assert "refused" in busy_status.stdout and "kept beside the warehouse" in busy_status.stdout
    landed = run_cli("run", "--warehouse", str(warehouse), env=env)
    assert landed.returncode == 0, landed.stderr
    logged = runs(warehouse)
    assert [(command, state) for command, state, _ in logged] == [
        ("run", "refused"),
        ("run", "succeeded"),
    ]
    assert f"PID {session.pid}" in (logged[0][2] or "")
    status = run_cli("status", "--warehouse", str(warehouse), env=env)
    assert "kept beside" not in status.stdout, "a recorded run is still shown as kept"


def test_a_session_opened_mid_run_is_kept_out_and_cannot_break_the_load(
    slow_sim: RunningSimulator, tmp_path: Path
) -> None:
    warehouse = empty_warehouse(tmp_path)
    env = cli_env(slow_sim)
    reset_stats(slow_sim)
    run = start_civic_etl("run", "--warehouse", str(warehouse), env=env)
    wait_until(run, lambda: requests_served(slow_sim) >= 15, "15 requests served")
    with configured(slow_sim, held=list(APIS)):
        with pytest.raises(duckdb.IOException) as refused:
            duckdb.connect(str(warehouse), read_only=True)
        assert f"(PID {run.pid})" in str(refused.value)
        status = civic_etl("status", "--warehouse", str(warehouse), env=env)
        assert run.poll() is None, "the run ended before status looked"
    assert status.returncode == 0, status.stderr
    assert f"a run is in progress (pid {run.pid}" in status.stdout
    _, err = run.communicate(timeout=240)
    assert run.returncode == 0, err[-3000:]
    assert runs(warehouse) == [("run", "succeeded", None)]
    assert_matches_truth(warehouse, slow_sim)


def test_a_load_that_fails_keeps_what_was_extracted_and_the_next_run_loads_it(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    """The load step meets DuckDB's held-file error (what a reader opened mid-run once caused):
    the run says in one line that the rows are kept; the next run lands them, fetching no more
    than an incremental run does."""
    warehouse = tmp_path / "w.duckdb"
    env = cli_env(sim)
    failed = civic_etl("run", "--warehouse", str(warehouse), env=env, kill_at="fail:load")
    line = assert_one_clear_line(failed, 1, "PID 4242", "kept and loads with the next run")
    assert line.count("kept and loads with the next run") == 2, "one note per account"
    assert query(warehouse, "select status from civic_etl.runs") == [("failed",)]
    landed = run_cli("run", "--warehouse", str(warehouse), env=env)
    assert landed.returncode == 0, landed.stderr
    assert_matches_truth(warehouse, sim)


@pytest.mark.parametrize(
    ("stop", "code", "said"),
    [
        # Ctrl-C: the same path as SIGTERM's but for the signal's name and exit code
        pytest.param(signal.SIGINT, 130, "interrupted;", marks=pytest.mark.slow),
        (signal.SIGTERM, 143, "terminated (SIGTERM);"),  # a scheduler's stop or timeout
    ],
)
def test_an_interrupted_run_is_recorded_interrupted_and_the_next_run_lands_everything(
    slow_sim: RunningSimulator, tmp_path: Path, stop: signal.Signals, code: int, said: str
) -> None:
    warehouse = tmp_path / "w.duckdb"
    env = cli_env(slow_sim)
    reset_stats(slow_sim)
    # Ctrl-C reaches a run in a terminal's foreground; one started by a job in the background
    # (the test suite itself may be one) inherits SIGINT ignored, as shells do, and keeps going.
    run = start_civic_etl("run", "--warehouse", str(warehouse), env=env, sigint=signal.SIG_DFL)
    wait_until(run, lambda: requests_served(slow_sim) >= 10, "10 requests served")
    run.send_signal(stop)
    _, err = run.communicate(timeout=240)
    assert run.returncode == code, err[-3000:]
    assert [line for line in err.splitlines() if "error:" in line] == [
        f"civic-etl: error: {said} the next run resumes from the last completed load"
    ]
    assert [state for _, state, _ in runs(warehouse)] == ["interrupted"]
    assert "interrupted" in run_cli("status", "--warehouse", str(warehouse), env=env).stdout
    if stop == signal.SIGTERM:  # the SIGINT case shares the path; one repair run is enough
        after = run_cli("run", "--warehouse", str(warehouse), env=env)
        assert after.returncode == 0, after.stderr[-3000:]
        assert_matches_truth(warehouse, slow_sim)


def test_a_second_run_is_refused_at_once_recorded_and_a_kill_of_the_first_frees_the_lock(
    slow_sim: RunningSimulator, tmp_path: Path
) -> None:
    """A second run while one is extracting exits 3 at once, naming it; the first is then
    SIGKILLed mid-extract (once, that left a pipeline folder the next run could not read):
    `status` shows it killed, not running, and the next run finds no lock left behind, marks
    it killed, lands everything and records what happened."""
    warehouse = tmp_path / "w.duckdb"
    env = cli_env(slow_sim)
    first = start_civic_etl("run", "--warehouse", str(warehouse), env=env)
    lock = tmp_path / ".civic-etl" / "w" / "run.lock"
    wait_until(first, lambda: lock.exists() and lock.read_text().startswith("pid"), "locked")
    wait_until(first, lambda: requests_served(slow_sim) > 0, "fetching")
    with configured(slow_sim, held=list(APIS)):  # the first stays mid-extract until killed
        second = civic_etl("run", "--warehouse", str(warehouse), env=env)
        assert first.poll() is None, "the second run waited for the first"
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    assert_one_clear_line(second, 3, "another run", f"pid {first.pid}", "run of nationbuilder")
    # The refused run could not write to a file the first held: the next run records it.
    assert query(warehouse, "select status from civic_etl.runs") == [("running",)]
    status = run_cli("status", "--warehouse", str(warehouse), env=env)
    assert status.returncode == 0, status.stderr
    assert " killed " in status.stdout and " running " not in status.stdout
    third = run_cli("run", "--warehouse", str(warehouse), env=env)
    assert third.returncode == 0, third.stderr
    assert "was killed: marked so" in third.stderr
    assert [state for _, state, _ in runs(warehouse)] == ["killed", "refused", "succeeded"]
    assert_matches_truth(warehouse, slow_sim)


def test_status_names_a_writing_session_that_is_no_run_with_3(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    warehouse = empty_warehouse(tmp_path)
    with open_session(warehouse, read_only=False) as session:
        status = run_cli("status", "--warehouse", str(warehouse), env=cli_env(sim))
    assert_one_clear_line(status, 3, f"PID {session.pid}", "no civic-etl run")


def test_the_wait_setting_must_be_seconds(sim: RunningSimulator, tmp_path: Path) -> None:
    env = cli_env(sim, CIVIC_ETL_WAREHOUSE_WAIT="soon")
    result = run_cli("run", "--warehouse", str(tmp_path / "w.duckdb"), env=env)
    assert_one_clear_line(result, 2, "CIVIC_ETL_WAREHOUSE_WAIT")
