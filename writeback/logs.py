"""What write-back reads and keeps in the warehouse, through warehouse/: segments, its logs.

Every read and write holds the run lock, so a write-back never meets a nightly run midway;
its logs (`civic_etl.list_pushes`, `civic_etl.imports`) live in the warehouse beside the run log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from warehouse.destination import connect, is_duckdb_file
from warehouse.lock import run_lock
from warehouse.runlog import SCHEMA, append, read_rows
from warehouse.segments import SegmentError, run_segment
from writeback.segment import Segment, WritebackError

LIST_PUSHES = f"{SCHEMA}.list_pushes"
IMPORTS = f"{SCHEMA}.imports"
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    LIST_PUSHES: (
        ("pushed_at", "timestamptz"),
        ("list_id", "bigint"),
        ("list_slug", "varchar"),
        ("segment", "varchar"),
        ("query", "varchar"),
        ("segment_size", "bigint"),
        ("added", "bigint"),
        ("removed", "bigint"),
        ("not_added", "bigint"),
        ("tag", "varchar"),
        ("tagged", "boolean"),
    ),
    IMPORTS: (
        ("run_id", "varchar"),
        ("import_id", "bigint"),
        ("chunk", "integer"),
        ("chunks", "integer"),
        ("segment", "varchar"),
        ("query", "varchar"),
        ("is_overwritable", "boolean"),
        ("status", "varchar"),
        ("rows_sent", "bigint"),
        ("rows_succeeded", "bigint"),
        ("rows_updated", "bigint"),
        ("rows_failed", "bigint"),
        ("started_at", "timestamptz"),
        ("finished_at", "timestamptz"),
    ),
}


@contextmanager
def locked(warehouse: Path) -> Iterator[None]:
    if is_duckdb_file() and not warehouse.exists():
        raise WritebackError(f"no warehouse at {warehouse} yet: run `civic-etl run` first")
    with run_lock(warehouse):
        yield


def segment_rows(warehouse: Path, segment: Segment) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The segment's columns and rows, read under the run lock."""
    with locked(warehouse):
        try:
            return run_segment(warehouse, segment.sql, segment.label)
        except SegmentError as exc:
            raise WritebackError(str(exc)) from None


def tags_applied(warehouse: Path, list_slug: str) -> set[tuple[int, str]]:
    """(list id, tag) pairs earlier pushes of this list tagged: a repeat need not tag again."""
    with locked(warehouse), connect(warehouse, read_only=True) as con:
        rows = read_rows(con, LIST_PUSHES)
    names = [column for column, _ in COLUMNS[LIST_PUSHES]]
    pushes = [dict(zip(names, row, strict=False)) for row in rows]
    return {
        (int(push["list_id"]), str(push["tag"]))
        for push in pushes
        if push["list_slug"] == list_slug and push["tagged"]
    }


def record(warehouse: Path, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Appends what a write-back sent to its log, under the run lock."""
    with locked(warehouse):
        append(warehouse, table, COLUMNS[table], rows)
