"""Stamp `deleted_at` on raw rows that left the source, and keep a record of each deletion."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

# Tables keyed by something other than a single `id` column: how their key is spelled as text.
COMPOSITE_KEYS = {
    "list_signups": "cast(t.list_id as varchar) || ':' || cast(t.signup_id as varchar)"
}


def apply_deletions(
    con: duckdb.DuckDBPyConnection, schema: str, found: dict[str, list[str]]
) -> int:
    """Mark the rows and log them in `<schema>.deleted_records`; returns how many were marked."""
    if not found:
        return 0
    now = datetime.now(UTC)
    con.execute(
        f"create table if not exists {schema}.deleted_records "
        "(resource varchar, id varchar, deleted_at timestamptz, primary key (resource, id))"
    )
    marked = 0
    for table, keys in found.items():
        rows = [(table, key, now) for key in keys]
        # A key can leave again after coming back (a person rejoins, then leaves, a list):
        # the newest deletion is the one to stamp.
        con.executemany(f"insert or replace into {schema}.deleted_records values (?, ?, ?)", rows)
        key_sql = COMPOSITE_KEYS.get(table, "cast(t.id as varchar)")
        result = con.execute(
            f"update {schema}.{table} as t set deleted_at = d.deleted_at "
            f"from {schema}.deleted_records d "
            f"where d.resource = ? and d.id = {key_sql} and t.deleted_at is null",
            [table],
        ).fetchone()
        marked += int(result[0]) if result else 0
    return marked
