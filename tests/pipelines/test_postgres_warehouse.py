"""The whole job into PostgreSQL builds the same marts as into DuckDB, on the same data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from simulator.server import RunningSimulator
from tests.support.cli import cli_env, run_cli
from tests.support.simulator import mutate, simulator
from tests.support.warehouse import MARTS


def canonical(value: Any) -> Any:
    """One spelling per value, whichever database returned it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, str) and value[:1] in "{[":
        value = json.loads(value)  # DuckDB returns JSON as text, psycopg2 parses it
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=lambda v: f"{float(v):.6f}")
    return value


def mart_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(canonical(v) for v in row) for row in rows), key=repr)


def duckdb_marts(warehouse: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        marts = {}
        for mart in MARTS:
            result = con.execute(f"select * from analytics.{mart}")
            columns = [d[0] for d in result.description]
            marts[mart] = (columns, mart_rows(result.fetchall()))
        return marts


def postgres_marts(dsn: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        marts = {}
        with con.cursor() as cursor:
            # the second run's deletion sweep stamped rows in PostgreSQL too
            cursor.execute("select count(*) from nationbuilder.deleted_records")
            assert cursor.fetchone()[0] > 0
            for mart in MARTS:
                cursor.execute(f"select * from analytics.{mart}")
                columns = [d[0] for d in cursor.description]
                marts[mart] = (columns, mart_rows(cursor.fetchall()))
        return marts
    finally:
        con.close()


def run_both(sim: RunningSimulator, duck: Path, pg_state: Path, dsn: str) -> None:
    ran = run_cli("run", "--warehouse", str(duck), env=cli_env(sim))
    assert ran.returncode == 0, ran.stderr
    on_postgres = cli_env(
        sim, CIVIC_ETL_DESTINATION="postgres", DESTINATION__POSTGRES__CREDENTIALS=dsn
    )
    ran = run_cli("run", "--warehouse", str(pg_state), env=on_postgres)
    assert ran.returncode == 0, ran.stderr


def test_postgres_marts_equal_duckdb_marts_row_for_row(postgres_dsn: str, tmp_path: Path) -> None:
    duck, pg_state = tmp_path / "duck" / "civic.duckdb", tmp_path / "pg" / "civic.duckdb"
    with simulator(nb_signups=500, nb_donations=200, an_people=300, an_actions=700) as sim:
        run_both(sim, duck, pg_state, postgres_dsn)
        mutate(sim, 0.05)  # a day of changes, deletions included, loaded incrementally on top
        run_both(sim, duck, pg_state, postgres_dsn)
        reads_and_writes_back_on_postgres(sim, duck, pg_state, postgres_dsn)
    expected, actual = duckdb_marts(duck), postgres_marts(postgres_dsn)
    for mart in MARTS:
        (duck_columns, duck_rows), (pg_columns, pg_rows) = expected[mart], actual[mart]
        assert pg_columns == duck_columns, mart
        assert duck_rows, f"{mart} is empty: nothing compared"
        assert len(pg_rows) == len(duck_rows), mart
        difference = first_difference(pg_rows, duck_rows)
        assert pg_rows == duck_rows, f"{mart}: first difference {difference}"


def reads_and_writes_back_on_postgres(
    sim: RunningSimulator, duck: Path, pg_state: Path, dsn: str
) -> None:
    """status, query and a write-back dry run read PostgreSQL, the warehouse holding the data
    (the local path only anchors the working state): they agree with the DuckDB twin."""
    on_postgres = cli_env(
        sim, CIVIC_ETL_DESTINATION="postgres", DESTINATION__POSTGRES__CREDENTIALS=dsn
    )
    status = run_cli("status", "--warehouse", str(pg_state), env=on_postgres)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("succeeded") >= 2, status.stdout  # both runs, from PostgreSQL
    count = "select count(*) as n from analytics.people"
    asked = run_cli(
        "query", count, "--warehouse", str(pg_state), "--format", "csv", env=on_postgres
    )
    twin = run_cli("query", count, "--warehouse", str(duck), "--format", "csv", env=cli_env(sim))
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout == twin.stdout and int(asked.stdout.split()[1]) > 0
    args = ("push-list", "--list", "pg-dry", "--query", "petitioners_never_donated", "--dry-run")
    pushed = run_cli(*args, "--warehouse", str(pg_state), env=on_postgres)
    local = run_cli(*args, "--warehouse", str(duck), env=cli_env(sim))
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout == local.stdout and "would" in pushed.stdout.lower()


def first_difference(left: list[Any], right: list[Any]) -> Any:
    return next(((a, b) for a, b in zip(left, right, strict=False) if a != b), None)
