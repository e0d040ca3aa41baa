"""Stamp `deleted_at` on raw rows that left the source, from the `deleted_records` dlt loaded.

A source that finds rows gone (NationBuilder's sweeps) loads one `deleted_records` row per key
(`resource`, `id`, `deleted_at`), merged on (resource, id). A row is marked when a deletion of
its key was loaded with or after the row itself: a key that came back later (a person added to
a list again) was loaded after its deletion and stays live. Marking is idempotent, so a run
killed between the load and the marks is repaired by whichever run marks next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from warehouse.checks import quote
from warehouse.destination import Connection

TABLE = "deleted_records"
LOAD_ID = "_dlt_load_id"


def key_text(columns: Sequence[str], alias: str = "t") -> str:
    """A row's key as `deleted_records.id` spells it: the columns' text, joined by `:`."""
    return " || ':' || ".join(f"cast({alias}.{quote(c)} as varchar)" for c in columns)


def apply_deletions(con: Connection, schema: str, keys: Mapping[str, Sequence[str]]) -> int:
    """Mark the rows of `keys`' tables that `deleted_records` says left; how many were marked."""
    present = _columns(con, schema)
    if TABLE not in present:
        return 0
    marked = 0
    for table, key in sorted(keys.items()):
        columns = present.get(table, set())
        if not key or "deleted_at" not in columns or LOAD_ID not in columns:
            continue
        marked += con.run(
            f"update {quote(schema)}.{quote(table)} as t set deleted_at = d.deleted_at "
            f"from {quote(schema)}.{TABLE} as d "
            f"where d.resource = ? and d.id = {key_text(key)} and t.deleted_at is null "
            f"and cast(d.{LOAD_ID} as double) >= cast(t.{LOAD_ID} as double)",
            [table],
        )
    return marked


def _columns(con: Connection, schema: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in con.query(
        "select table_name, column_name from information_schema.columns where table_schema = ?",
        [schema],
    ):
        found.setdefault(table, set()).add(column)
    return found
