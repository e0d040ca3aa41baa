"""What the warehouse does for a source's load: tells it what it holds, and tidies after it.

Before extracting, a source that finds deletions needs the live keys of some raw tables; after
each load, replaced tables may hold a repeated row and marked deletions must be stamped. Both
go through the configured destination's connection, as everything in the warehouse does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from warehouse.checks import quote
from warehouse.deletions import apply_deletions
from warehouse.destination import connect
from warehouse.duplicates import drop_duplicate_keys


@dataclass(frozen=True)
class LoadedTable:
    """A raw table as dlt's schema declares it: its key, and whether each load replaces it."""

    name: str
    key: tuple[str, ...]
    replaced: bool


@dataclass(frozen=True)
class Tidied:
    """What a tidy-up after a load did."""

    duplicates_removed: int
    deletions_marked: int


def live_keys(
    warehouse: Path, schema: str, tables: Iterable[tuple[str, Sequence[str]]]
) -> dict[str, pa.Table]:
    """The keys of the rows not marked deleted, sorted, per table that exists (name, key)."""
    wanted = list(tables)
    if not wanted:
        return {}
    found: dict[str, pa.Table] = {}
    with connect(warehouse) as con:
        present: dict[str, set[str]] = {}
        for table, column in con.query(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [schema],
        ):
            present.setdefault(table, set()).add(column)
        for table, key in wanted:
            columns = present.get(table)
            if not columns or not set(key) <= columns:
                continue
            live = " where deleted_at is null" if "deleted_at" in columns else ""
            names = ", ".join(quote(c) for c in key)
            found[table] = con.arrow(
                f"select {names} from {quote(schema)}.{quote(table)}{live} order by {names}"
            )
    return found


def tidy_after_load(warehouse: Path, schema: str, tables: Iterable[LoadedTable]) -> Tidied:
    """Drop repeated rows of replaced tables and stamp the deletions loaded."""
    tables = list(tables)
    with connect(warehouse) as con:
        removed = drop_duplicate_keys(con, schema, {t.name: t.key for t in tables if t.replaced})
        marked = apply_deletions(con, schema, {t.name: t.key for t in tables})
    return Tidied(sum(removed.values()), marked)
