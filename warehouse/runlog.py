"""The run log: every run and write-back, kept in the warehouse that holds the data.

`civic_etl.runs` has one row per run (whatever ended it), `civic_etl.run_resources` one per
resource of a run; write-backs keep their own logs beside them. On PostgreSQL they live in
PostgreSQL, so every machine that runs the job writes to the same log.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from warehouse.destination import Connection, connect
from warehouse.location import state_dir

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
    ("accounts", "varchar"),
)
# A run that could not write to the warehouse (its file held past the wait, a lock refused)
# leaves its row here, beside it; the next run that opens the warehouse moves it into the log.
UNRECORDED = "unrecorded-runs.jsonl"
TIMESTAMPS = ("started_at", "finished_at")
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
        _write_run(con, run)
        con.run(f"delete from {RUN_RESOURCES} where run_id = ?", [run["run_id"]])
        _insert(con, RUN_RESOURCES, RESOURCE_COLUMNS, resources)


def open_run(
    warehouse: Path, run: Mapping[str, Any], is_dead: Callable[[str], bool]
) -> list[tuple[Any, ...]]:
    """A run's first write: rows left "running" by runs that hold no lock any more become
    "killed", runs kept beside the warehouse join the log, and this run's row says "running"
    (so a run killed from here on is still seen). Returns (run_id, started_at, host, pid) of
    each run found killed."""
    with connect(warehouse) as con:
        _ensure(con, RUNS, RUN_COLUMNS)
        _ensure(con, RUN_RESOURCES, RESOURCE_COLUMNS)
        left = con.query(
            f"select run_id, started_at, host, pid from {RUNS} "
            "where status = 'running' and run_id <> ?",
            [run["run_id"]],
        )
        killed = [row for row in left if is_dead(row[0])]
        for run_id, *_ in killed:
            con.run(
                f"update {RUNS} set status = 'killed', error = ? "
                "where run_id = ? and status = 'running'",
                [
                    f"ended without a word (SIGKILL, power loss, out of memory); seen by run "
                    f"{run['run_id']}",
                    run_id,
                ],
            )
        for kept in _take_unrecorded(warehouse):
            _write_run(con, kept)
        _write_run(con, run)
    return killed


def remember_unrecorded(warehouse: Path, run: Mapping[str, Any]) -> None:
    """Keep the row of a run that could not reach the warehouse, for the next run to record."""
    path = state_dir(warehouse) / UNRECORDED
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.write(json.dumps(dict(run), default=str) + "\n")


def unrecorded(warehouse: Path) -> list[dict[str, Any]]:
    """The rows kept beside the warehouse, not yet in its log (status shows them too)."""
    path = state_dir(warehouse) / UNRECORDED
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [_parsed(line) for line in lines if line.strip()]


def _take_unrecorded(warehouse: Path) -> list[dict[str, Any]]:
    path = state_dir(warehouse) / UNRECORDED
    if not path.exists():
        return []
    with open(path, "r+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        rows = [_parsed(line) for line in handle.read().splitlines() if line.strip()]
        handle.seek(0)
        handle.truncate()
    return rows


def _parsed(line: str) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(line)
    for column in TIMESTAMPS:
        if isinstance(row.get(column), str):
            row[column] = datetime.fromisoformat(row[column])
    return row


def _write_run(con: Connection, run: Mapping[str, Any]) -> None:
    con.run(f"delete from {RUNS} where run_id = ?", [run["run_id"]])
    values = [_value(run.get(column)) for column, _ in RUN_COLUMNS]
    marks = ", ".join("?" for _ in RUN_COLUMNS)
    names = ", ".join(column for column, _ in RUN_COLUMNS)
    con.run(f"insert into {RUNS} ({names}) values ({marks})", values)


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
    """(run_id, command, status, started_at, seconds, error, host, pid) of the newest runs."""
    if not _exists(con, RUNS):
        return []
    return con.query(
        f"select run_id, command, status, started_at, seconds, error, host, pid from {RUNS} "
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
