"""Beyond one machine: accounts extracted by separate processes, each with its own local state
folder (as on separate machines), into one PostgreSQL warehouse."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from simulator.settings import APIS
from tests.support.accounts import nations, nations_env
from tests.support.cli import civic_etl, start_civic_etl
from tests.support.simulator import configured, requests_served, reset_stats, stats
from tests.support.warehouse import MARTS

SEEDS = {"north": 31, "south": 32}
DATA = {"nb_signups": 300, "nb_donations": 100, "an_people": 5, "an_actions": 5}
# Rate limited, with latency: each account's extract lasts seconds, so two started together overlap.
SLOW = {"latency_ms": 20, "nb_rate_limit": 10, "nb_rate_window_s": 1.0}


def on_postgres(env: dict[str, str], dsn: str) -> dict[str, str]:
    return {**env, "CIVIC_ETL_DESTINATION": "postgres", "DESTINATION__POSTGRES__CREDENTIALS": dsn}


def checkout(tmp_path: Path, name: str) -> str:
    """A local state folder of its own: what a second machine or checkout has."""
    return str(tmp_path / name / "civic.duckdb")


def postgres_marts(dsn: str) -> dict[str, list[str]]:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cursor:
            marts = {}
            for mart in MARTS:
                cursor.execute(f"select * from analytics.{mart}")
                marts[mart] = sorted(map(repr, cursor.fetchall()))
            return marts
    finally:
        con.close()


def arrivals(stats_seen: dict[str, Any]) -> tuple[float, float]:
    return min(stats_seen["first_arrival"].values()), max(stats_seen["last_arrival"].values())


# About 30 s; the fast suite has the same two accounts at once on PostgreSQL in
# test_postgres_locks, and extracted apart then transformed on DuckDB in test_cli_extract_account.
@pytest.mark.slow
def test_two_accounts_extracted_at_once_then_transformed_equal_one_run(
    postgres_dsn: str, other_postgres_dsn: str, tmp_path: Path
) -> None:
    with nations(SEEDS, **DATA, **SLOW) as sims:
        env = on_postgres(nations_env(sims), postgres_dsn)
        started = [
            start_civic_etl(
                "extract", "--warehouse", checkout(tmp_path, name), "--account", name, env=env
            )
            for name in SEEDS
        ]
        for process in started:
            _out, err = process.communicate(timeout=240)
            assert process.returncode == 0, err
        windows = [arrivals(stats(sim)) for sim in sims.values()]
        transformed = civic_etl("transform", "--warehouse", checkout(tmp_path, "lead"), env=env)
        assert transformed.returncode == 0, transformed.stderr
        single = on_postgres(nations_env(sims), other_postgres_dsn)
        ran = civic_etl("run", "--warehouse", checkout(tmp_path, "single"), env=single)
        assert ran.returncode == 0, ran.stderr
    (first_start, first_end), (second_start, second_end) = windows
    assert first_start < second_end and second_start < first_end, "the extracts did not overlap"
    apart, together = postgres_marts(postgres_dsn), postgres_marts(other_postgres_dsn)
    assert apart["people"], "the marts are empty: nothing was compared"
    assert apart == together


# The fast suite's test_postgres_locks refuses the same account's second extract with 3.
@pytest.mark.slow
def test_a_third_extract_of_an_account_already_running_exits_3(
    postgres_dsn: str, tmp_path: Path
) -> None:
    with nations({"north": 31}, **DATA, **SLOW) as sims:
        env = on_postgres(nations_env(sims), postgres_dsn)
        args = ("extract", "--account", "north", "--warehouse")
        first = start_civic_etl(*args, checkout(tmp_path, "one"), env=env)
        try:
            while requests_served(sims["north"]) == 0 and first.poll() is None:
                time.sleep(0.05)
            with configured(sims["north"], held=list(APIS)):
                again = civic_etl(*args, checkout(tmp_path, "two"), env=env, timeout=60)
        finally:
            first.communicate(timeout=240)
    assert again.returncode == 3, again.stderr


def test_an_account_on_a_second_checkout_with_an_empty_folder_runs_incrementally(
    postgres_dsn: str, tmp_path: Path
) -> None:
    with nations({"north": 33}, **DATA) as sims:
        sim = sims["north"]
        env = on_postgres(nations_env(sims), postgres_dsn)
        served = {}
        for run, where in (("full", "one"), ("incremental", "one"), ("second", "two")):
            reset_stats(sim)
            result = civic_etl(
                "extract", "--account", "north", "--warehouse", checkout(tmp_path, where), env=env
            )
            assert result.returncode == 0, (run, result.stderr)
            served[run] = requests_served(sim)
    assert served["incremental"] < served["full"]
    assert served["second"] == served["incremental"], served
