"""Runs sharing one PostgreSQL warehouse (issue 16): the locks live in it, per account.

Two processes extracting different accounts run at once; a third for an account already being
extracted exits 3 at once naming it and its holder; a transform afterwards builds the marts;
every run is in the shared run log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from simulator.server import RunningSimulator
from tests.support.cli import assert_one_clear_line, civic_etl, cli_env, run_cli, start_civic_etl
from tests.support.sessions import wait_until
from tests.support.simulator import configured, requests_served, reset_stats, simulator

SIZES = {"nb_signups": 300, "nb_donations": 120, "an_people": 120, "an_actions": 300}


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[RunningSimulator]:
    with simulator(**SIZES, latency_ms=400) as running:
        yield running


def pg_rows(dsn: str, sql: str) -> list[tuple[object, ...]]:
    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        con.close()


def pg_env(sim: RunningSimulator, dsn: str, folder: Path, **extra: str) -> dict[str, str]:
    """A machine of its own (its local folder) loading the shared PostgreSQL warehouse."""
    return cli_env(
        sim,
        CIVIC_ETL_DESTINATION="postgres",
        DESTINATION__POSTGRES__CREDENTIALS=dsn,
        CIVIC_ETL_WAREHOUSE=str(folder / "civic.duckdb"),
        **extra,
    )


def test_different_accounts_extract_at_once_and_the_same_account_twice_exits_3(
    slow_sim: RunningSimulator, postgres_dsn: str, tmp_path: Path
) -> None:
    def env(machine: str) -> dict[str, str]:
        return pg_env(slow_sim, postgres_dsn, tmp_path / machine)

    reset_stats(slow_sim)
    nation = start_civic_etl("extract", "--source", "nationbuilder", env=env("a"))
    wait_until(nation, lambda: requests_served(slow_sim, "nationbuilder") > 0, "NB fetched")
    # NationBuilder's answers wait until the third extract has been refused, so the first one
    # still holds its account however long a busy machine takes to start processes.
    with configured(slow_sim, held=["nationbuilder"]):
        network = start_civic_etl("extract", "--source", "action_network", env=env("b"))
        wait_until(network, lambda: requests_served(slow_sim, "action_network") > 0, "AN fetched")
        assert nation.poll() is None, "the two accounts did not extract at once"
        twice = civic_etl("extract", "--source", "nationbuilder", env=env("c"))
        assert nation.poll() is None, "the first extract ended before the third was refused"
    assert_one_clear_line(twice, 3, "nationbuilder is being extracted by", f"pid {nation.pid}")
    for process in (nation, network):
        _, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-3000:]
    built = run_cli("transform", env=env("c"))
    assert built.returncode == 0, built.stderr
    logged = sorted(
        (str(command), str(state), str(accounts))
        for command, state, accounts in pg_rows(
            postgres_dsn, "select command, status, accounts from civic_etl.runs"
        )
    )
    assert logged == [
        ("extract", "refused", "nationbuilder"),
        ("extract", "succeeded", "action_network"),
        ("extract", "succeeded", "nationbuilder"),
        ("transform", "succeeded", "None"),
    ]
    (people,) = pg_rows(postgres_dsn, "select count(*) from analytics.people")[0]
    assert people > 0


def test_a_transform_does_not_overlap_an_extract_it_waits_bounded_then_exits_3(
    slow_sim: RunningSimulator, postgres_dsn: str, tmp_path: Path
) -> None:
    env = pg_env(slow_sim, postgres_dsn, tmp_path, CIVIC_ETL_WAREHOUSE_WAIT="1")
    reset_stats(slow_sim)
    extract = start_civic_etl("extract", "--source", "nationbuilder", env=env)
    wait_until(extract, lambda: requests_served(slow_sim, "nationbuilder") > 0, "NB fetched")
    with configured(slow_sim, held=["nationbuilder"]):
        transform = run_cli("transform", env=env)
        assert extract.poll() is None, "the extract ended before the transform tried"
    assert "waiting for the warehouse: extracts hold the warehouse" in transform.stderr
    assert_one_clear_line(transform, 3, "the marts were not built", f"pid {extract.pid}")
    _, err = extract.communicate(timeout=240)
    assert extract.returncode == 0, err[-3000:]
    assert pg_rows(
        postgres_dsn,
        "select count(*) from information_schema.schemata where schema_name = 'analytics'",
    ) == [(0,)]


def test_a_killed_run_on_postgres_is_marked_killed_from_its_free_run_lock(
    slow_sim: RunningSimulator, postgres_dsn: str, tmp_path: Path
) -> None:
    env = pg_env(slow_sim, postgres_dsn, tmp_path)
    killed = civic_etl("extract", "--source", "action_network", env=env, kill_at="response:5")
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert pg_rows(postgres_dsn, "select status from civic_etl.runs") == [("running",)]
    shown = run_cli("status", env=env)
    assert " killed " in shown.stdout, shown.stdout
    again = run_cli("extract", "--source", "action_network", env=env)
    assert again.returncode == 0, again.stderr
    states = sorted(
        state for (state,) in pg_rows(postgres_dsn, "select status from civic_etl.runs")
    )
    assert states == ["killed", "succeeded"]
