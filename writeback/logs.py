"""What write-back reads and keeps in the warehouse, through warehouse/: segments, its logs.

Every read and write holds the run lock, so a write-back never meets a nightly run midway;
its logs (`civic_etl.list_pushes`, `civic_etl.imports`, `civic_etl.an_tag_pushes`,
`civic_etl.an_upserts`, and the rows they could not send, `civic_etl.writeback_skipped_rows`)
live in the warehouse beside the run log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
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
AN_TAG_PUSHES = f"{SCHEMA}.an_tag_pushes"
AN_UPSERTS = f"{SCHEMA}.an_upserts"
SKIPPED_ROWS = f"{SCHEMA}.writeback_skipped_rows"
CONTACTABILITY = "analytics.contactability"
# person_ids per contactability query: a bounded IN list
CONTACTABILITY_CHUNK = 5_000
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
    AN_TAG_PUSHES: (
        ("run_id", "varchar"),
        ("pushed_at", "timestamptz"),
        ("status", "varchar"),
        ("error", "varchar"),
        ("tag_id", "varchar"),
        ("tag", "varchar"),
        ("segment", "varchar"),
        ("query", "varchar"),
        ("rows", "bigint"),
        ("people", "bigint"),
        ("is_remove_others", "boolean"),
        ("created", "boolean"),
        ("members_before", "bigint"),
        ("added", "bigint"),
        ("removed", "bigint"),
        ("others_kept", "bigint"),
        ("skipped", "bigint"),
        ("failed", "bigint"),
    ),
    AN_UPSERTS: (
        ("run_id", "varchar"),
        ("upserted_at", "timestamptz"),
        ("status", "varchar"),
        ("error", "varchar"),
        ("segment", "varchar"),
        ("query", "varchar"),
        ("rows", "bigint"),
        ("created", "bigint"),
        ("updated", "bigint"),
        ("unchanged", "bigint"),
        ("email_subscribed", "bigint"),
        ("email_not_subscribed", "bigint"),
        ("text_subscribed", "bigint"),
        ("text_not_subscribed", "bigint"),
        ("skipped", "bigint"),
        ("failed", "bigint"),
    ),
    SKIPPED_ROWS: (
        ("run_id", "varchar"),
        ("command", "varchar"),
        ("row_number", "bigint"),
        ("row_key", "varchar"),
        ("outcome", "varchar"),
        ("reason", "varchar"),
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


def contactability(warehouse: Path, person_ids: Collection[str]) -> dict[str, tuple[bool, bool]]:
    """(can_email, can_text) of each of these people (`people.person_id`), as the
    contactability mart says; people the mart does not know are left out."""
    ids = sorted(set(person_ids))
    found: dict[str, tuple[bool, bool]] = {}
    with locked(warehouse):
        for start in range(0, len(ids), CONTACTABILITY_CHUNK):
            listed = ", ".join(_literal(i) for i in ids[start : start + CONTACTABILITY_CHUNK])
            sql = (
                f"select person_id, can_email, can_text from {CONTACTABILITY}"
                f" where person_id in ({listed})"
            )
            try:
                _, rows = run_segment(warehouse, sql, CONTACTABILITY)
            except SegmentError as exc:
                raise WritebackError(str(exc)) from None
            found.update({str(pid): (bool(email), bool(text)) for pid, email, text in rows})
    return found


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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


def record_run(
    warehouse: Path, table: str, row: Mapping[str, Any], skipped: Sequence[Mapping[str, Any]]
) -> None:
    """Appends one run of a write-back to its log and the rows it skipped to theirs."""
    with locked(warehouse):
        append(warehouse, table, COLUMNS[table], [row])
        append(warehouse, SKIPPED_ROWS, COLUMNS[SKIPPED_ROWS], skipped)
