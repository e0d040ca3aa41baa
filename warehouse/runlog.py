"""The run log: every run and write-back, kept in the warehouse that holds the data.

`civic_etl.runs` has one row per run (whatever ended it), `civic_etl.run_resources` one per
resource of a run; write-backs keep their own logs beside them. On PostgreSQL they live in
PostgreSQL, so every machine that runs the job writes to the same log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from warehouse.destination import Connection, connect

SCHEMA = "civic_etl"
RUNS = f"{SCHEMA}.runs"
RUN_RESOURCES = f"{SCHEMA}.run_resources"
RUN_COLUMNS = (
    ("run_id", "varchar primary key"),
    ("command", "varchar"),
    ("status", "varchar"),
    ("error", "varchar"),
    ("started_at", "timestamptz"),
    ("finished_at", "timestamptz"),
    ("seconds", "double"),
    ("transform", "varchar"),
    ("host", "varchar"),
    ("pid", "bigint"),
)
RESOURCE_COLUMNS = (
    ("run_id", "varchar"),
    ("source", "varchar"),
    ("resource", "varchar"),
    ("records", "bigint"),
    ("rows_loaded", "bigint"),
    ("requests", "bigint"),
    ("retries", "bigint"),
    ("responses_429", "bigint"),
    ("limiter_wait_seconds", "double"),
    ("seconds", "double"),
)


def _ddl(table: str, columns: Sequence[tuple[str, str]]) -> str:
    return f"create table if not exists {table} ({', '.join(f'{c} {t}' for c, t in columns)})"


def _ensure(con: Connection, table: str, columns: Sequence[tuple[str, str]]) -> None:
    """Creates the table, and adds the columns an older version of it lacks."""
    con.run(f"create schema if not exists {SCHEMA}")
    con.run(_ddl(table, columns))
    schema, name = table.split(".")
    present = {
        column
        for (column,) in con.query(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        )
    }
    for column, kind in columns:
        if column not in present:
            con.run(f"alter table {table} add column {column} {kind.split()[0]}")


def save_run(
    warehouse: Path, run: Mapping[str, Any], resources: Sequence[Mapping[str, Any]]
) -> None:
    """Writes (or rewrites) one run's row and its per-resource lines."""
    with connect(warehouse) as con:
        _ensure(con, RUNS, RUN_COLUMNS)
        _ensure(con, RUN_RESOURCES, RESOURCE_COLUMNS)
        con.run(f"delete from {RUNS} where run_id = ?", [run["run_id"]])
        values = [_value(run.get(column)) for column, _ in RUN_COLUMNS]
        marks = ", ".join("?" for _ in RUN_COLUMNS)
        names = ", ".join(column for column, _ in RUN_COLUMNS)
        con.run(f"insert into {RUNS} ({names}) values ({marks})", values)
        con.run(f"delete from {RUN_RESOURCES} where run_id = ?", [run["run_id"]])
        _insert(con, RUN_RESOURCES, RESOURCE_COLUMNS, resources)


def append(
    warehouse: Path,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Appends rows to one of the logs (`civic_etl.<name>`), creating it if new."""
    if not rows:
        return
    with connect(warehouse) as con:
        _ensure(con, table, columns)
        _insert(con, table, columns, rows)


def recent_runs(con: Connection, limit: int = 5) -> list[tuple[Any, ...]]:
    """(run_id, command, status, started_at, seconds, error) of the newest runs."""
    if not _exists(con, RUNS):
        return []
    return con.query(
        f"select run_id, command, status, started_at, seconds, error from {RUNS} "
        f"order by started_at desc limit {int(limit)}"
    )


def read_rows(
    con: Connection, table: str, where: str = "", params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Rows of a log table (empty when it does not exist yet)."""
    if not _exists(con, table):
        return []
    return con.query(f"select * from {table}" + (f" where {where}" if where else ""), params)


def _exists(con: Connection, table: str) -> bool:
    schema, name = table.split(".")
    found = con.query(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    )
    return bool(found and found[0][0])


def _insert(
    con: Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    names = ", ".join(column for column, _ in columns)
    marks = ", ".join("?" for _ in columns)
    for row in rows:
        values = [_value(row.get(column)) for column, _ in columns]
        con.run(f"insert into {table} ({names}) values ({marks})", values)


def _value(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, dict | list) else value
