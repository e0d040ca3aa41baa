"""The whole job into PostgreSQL builds the same marts as into DuckDB, on the same data."""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pytest
from cli_helpers import civic_etl, cli_env

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from warehouse.transform import load_project

DSN_VAR = "CIVIC_ETL_TEST_POSTGRES_DSN"
# every mart the project builds (people, contactability, person_tags, recurring_donors, ...)
MARTS = tuple(
    sorted(name for name, model in load_project().models.items() if model.layer == "marts")
)

pytestmark = pytest.mark.skipif(
    not os.environ.get(DSN_VAR),
    reason=f"no PostgreSQL server: set {DSN_VAR}=postgresql://... (`.ci/run` starts one)",
)


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A fresh database on the test server for this test, dropped afterwards."""
    import psycopg2

    server = os.environ[DSN_VAR]
    name = f"civic_etl_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create database {name}")
        parts = urlsplit(server)
        yield urlunsplit(parts._replace(path=f"/{name}"))
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name} with (force)")
    finally:
        admin.close()


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
    ran = civic_etl("run", "--warehouse", str(duck), env=cli_env(sim))
    assert ran.returncode == 0, ran.stderr
    on_postgres = cli_env(
        sim, CIVIC_ETL_DESTINATION="postgres", DESTINATION__POSTGRES__CREDENTIALS=dsn
    )
    ran = civic_etl("run", "--warehouse", str(pg_state), env=on_postgres)
    assert ran.returncode == 0, ran.stderr


def test_postgres_marts_equal_duckdb_marts_row_for_row(postgres_dsn: str, tmp_path: Path) -> None:
    duck, pg_state = tmp_path / "duck" / "civic.duckdb", tmp_path / "pg" / "civic.duckdb"
    config = SimConfig(nb_signups=1_000, an_people=600, rate_limits=False)
    with serve_in_thread(config) as sim:
        run_both(sim, duck, pg_state, postgres_dsn)
        # a day of changes, deletions included, loaded incrementally on top
        mutate = urllib.request.Request(
            sim.url + "/_sim/mutate",
            data=json.dumps({"fraction": 0.05}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(mutate, timeout=60).close()
        run_both(sim, duck, pg_state, postgres_dsn)
    expected, actual = duckdb_marts(duck), postgres_marts(postgres_dsn)
    for mart in MARTS:
        (duck_columns, duck_rows), (pg_columns, pg_rows) = expected[mart], actual[mart]
        assert pg_columns == duck_columns, mart
        assert duck_rows, f"{mart} is empty: nothing compared"
        assert len(pg_rows) == len(duck_rows), mart
        difference = first_difference(pg_rows, duck_rows)
        assert pg_rows == duck_rows, f"{mart}: first difference {difference}"


def first_difference(left: list[Any], right: list[Any]) -> Any:
    return next(((a, b) for a, b in zip(left, right, strict=False) if a != b), None)
