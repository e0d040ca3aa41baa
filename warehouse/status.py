"""What `civic-etl status` shows, read from the warehouse without ever taking its write lock.

Rows per raw and mart table (live rows where a table marks deletions), the newest runs of the
run log, and each dataset's cursors as the warehouse keeps them (dlt stores every completed
load's state there, so another machine's runs are seen too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sources.spec import RESUME
from warehouse.checks import quote
from warehouse.destination import Connection, connect, destination_name, is_duckdb_file
from warehouse.lock import POSTGRES, holder_pid
from warehouse.pglock import AdvisoryLocks
from warehouse.runlog import recent_runs, unrecorded

MARTS_SCHEMA = "analytics"


@dataclass
class Status:
    """A snapshot of the warehouse for a person to read."""

    size_bytes: int | None = None
    runs: list[tuple[Any, ...]] = field(default_factory=list)
    rows: list[tuple[str, str, int]] = field(default_factory=list)  # schema, table, live rows
    cursors: list[tuple[str, str, str]] = field(default_factory=list)  # dataset, resource, cursor


def raw_schemas(con: Connection, sources: Iterable[str]) -> list[str]:
    """The datasets of these sources' accounts (`nationbuilder`, `nationbuilder_account_x`)."""
    names = [
        name
        for (name,) in con.query("select schema_name from information_schema.schemata")
        if not name.endswith("_staging")
    ]
    prefixes = tuple(sources)
    return sorted(
        name
        for name in names
        if name in prefixes or name.startswith(tuple(f"{p}_account_" for p in prefixes))
    )


def _live_rows(con: Connection, schemas: list[str]) -> list[tuple[str, str, int]]:
    columns: dict[tuple[str, str], set[str]] = {}
    for schema in schemas:
        for table, column in con.query(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [schema],
        ):
            if not table.startswith("_dlt"):
                columns.setdefault((schema, table), set()).add(column)
    counted = []
    for (schema, table), present in sorted(columns.items()):
        where = " where deleted_at is null" if "deleted_at" in present else ""
        (count,) = con.query(f"select count(*) from {quote(schema)}.{quote(table)}{where}")[0]
        counted.append((schema, table, int(count)))
    return counted


def _cursors(con: Connection, dataset: str) -> list[tuple[str, str, str]]:
    """The cursors of the newest state stored by a completed load of `dataset`."""
    from dlt.common.versioned_state import decompress_state

    tables = {
        name
        for (name,) in con.query(
            "select table_name from information_schema.tables where table_schema = ?", [dataset]
        )
    }
    if not {"_dlt_pipeline_state", "_dlt_loads"} <= tables:
        return []
    rows = con.query(
        f"select s.state from {quote(dataset)}._dlt_pipeline_state as s "
        f"join {quote(dataset)}._dlt_loads as l on l.load_id = s._dlt_load_id "
        "where l.status = 0 order by l.load_id desc limit 1"
    )
    if not rows:
        return []
    state = decompress_state(rows[0][0])
    found = []
    for source in state.get("sources", {}).values():
        for resource, values in sorted(source.get("resources", {}).items()):
            if not isinstance(values, dict):
                continue
            if values.get(RESUME):
                found.append((dataset, resource, _resuming(values[RESUME])))
            elif values.get("cursor"):
                found.append((dataset, resource, str(values["cursor"])))
    return found


def _resuming(place: dict[str, Any]) -> str:
    """Where a first load read in chunks goes on from (its committed chunks are loaded)."""
    shown = {key: value for key, value in place.items() if key not in ("started", "newest")}
    at = ", ".join(f"{key} {value}" for key, value in shown.items())
    return f"first load in chunks, the next run resumes at {at}"


def snapshot(warehouse: Path, sources: Iterable[str]) -> Status:
    """Read the warehouse for `civic-etl status`, on a connection that can only read."""
    status = Status()
    if is_duckdb_file():
        status.size_bytes = warehouse.stat().st_size
    with connect(warehouse, read_only=True) as con:
        schemas = raw_schemas(con, sources)
        present = {
            name for (name,) in con.query("select schema_name from information_schema.schemata")
        }
        status.runs = [_as_seen(con, warehouse, row) for row in recent_runs(con)]
        status.runs = [*_unrecorded_rows(warehouse), *status.runs]
        status.rows = _live_rows(
            con, [*schemas, *([MARTS_SCHEMA] if MARTS_SCHEMA in present else [])]
        )
        for dataset in schemas:
            status.cursors.extend(_cursors(con, dataset))
    return status


def _as_seen(con: Connection, warehouse: Path, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row left "running" by a run whose lock is free shows as "killed" (the next run
    records it so; status only reads)."""
    run_id, command, state, started, seconds, error, _host, pid = row
    if state == "running" and not _alive(con, warehouse, run_id, pid):
        state, error = "killed", "ended without a word; the next run marks it killed"
    return run_id, command, state, started, seconds, error


def _alive(con: Connection, warehouse: Path, run_id: str, pid: Any) -> bool:
    if is_duckdb_file():
        return holder_pid(warehouse) == pid
    if destination_name() == POSTGRES:
        return AdvisoryLocks(con.native).held_elsewhere(f"run:{run_id}")
    return True  # no lock that could tell


def _unrecorded_rows(warehouse: Path) -> list[tuple[Any, ...]]:
    """Runs refused before they could write to the warehouse, kept beside it until the next."""
    return [
        (
            row["run_id"],
            row["command"],
            row["status"],
            row["started_at"],
            row.get("seconds"),
            f"{row.get('error')} (kept beside the warehouse until the next run records it)",
        )
        for row in reversed(unrecorded(warehouse))
    ][:5]
