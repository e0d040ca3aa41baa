"""The warehouse side of write-back: read a segment under the run lock, log what was sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from pipelines.lock import run_lock
from pipelines.runner import lock_path
from pipelines.summary import SCHEMA
from pipelines.writeback.segments import WritebackError

LIST_PUSHES = f"{SCHEMA}.list_pushes"
IMPORTS = f"{SCHEMA}.imports"
TABLES = {
    LIST_PUSHES: (
        "pushed_at timestamptz, list_id bigint, list_slug varchar, segment varchar,"
        " query varchar, segment_size bigint, added bigint, removed bigint, not_added bigint,"
        " tag varchar, tagged boolean"
    ),
    IMPORTS: (
        "run_id varchar, import_id bigint, chunk integer, chunks integer, segment varchar,"
        " query varchar, is_overwritable boolean, status varchar, rows_sent bigint,"
        " rows_succeeded bigint, rows_updated bigint, rows_failed bigint,"
        " started_at timestamptz, finished_at timestamptz"
    ),
}


@contextmanager
def open_warehouse(warehouse: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """Holds the run lock while connected, so a write-back never meets a nightly run midway."""
    if not warehouse.exists():
        raise WritebackError(f"no warehouse at {warehouse} yet: run `civic-etl run` first")
    with run_lock(lock_path(warehouse)):
        try:
            con = duckdb.connect(str(warehouse), read_only=read_only)
        except duckdb.Error as exc:
            raise WritebackError(f"cannot open the warehouse {warehouse}: {exc}") from None
        try:
            yield con
        finally:
            con.close()


def append_rows(warehouse: Path, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Appends rows (dicts keyed by column) to one of the write-back logs, creating it if new."""
    if not rows:
        return
    names = list(rows[0])
    with open_warehouse(warehouse, read_only=False) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(f"create table if not exists {table} ({TABLES[table]})")
        con.executemany(
            f"insert into {table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
            [[row[name] for name in names] for row in rows],
        )


def tags_applied(con: duckdb.DuckDBPyConnection, list_slug: str) -> set[tuple[int, str]]:
    """(list id, tag) pairs earlier pushes of this list tagged: a repeat need not tag again."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        LIST_PUSHES.split("."),
    ).fetchone()
    if not exists or not exists[0]:
        return set()
    rows = con.execute(
        f"select distinct list_id, tag from {LIST_PUSHES} where list_slug = ? and tagged",
        [list_slug],
    ).fetchall()
    return {(int(list_id), str(tag)) for list_id, tag in rows}
