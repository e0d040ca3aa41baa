"""Stamp `deleted_at` on raw rows that left the source, and keep a record of each deletion."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from warehouse.destination import DUCKDB, Connection

# Tables keyed by something other than a single `id` column: how their key is spelled as text.
COMPOSITE_KEYS = {
    "list_signups": "cast(t.list_id as varchar) || ':' || cast(t.signup_id as varchar)"
}
# Keys per statement: well under every database's limit on bound parameters.
BATCH = 1000


def apply_deletions(
    con: duckdb.DuckDBPyConnection | Connection, schema: str, found: dict[str, list[str]]
) -> int:
    """Mark the rows and log them in `<schema>.deleted_records`; returns how many were marked."""
    if not found:
        return 0
    if isinstance(con, duckdb.DuckDBPyConnection):
        con = Connection(con, DUCKDB)
    now = datetime.now(UTC)
    con.run(
        f"create table if not exists {schema}.deleted_records "
        "(resource varchar, id varchar, deleted_at timestamptz, primary key (resource, id))"
    )
    marked = 0
    for table, keys in found.items():
        # A key can leave again after coming back (a person rejoins, then leaves, a list):
        # the newest deletion is the one to stamp. Delete-then-insert is how every SQL
        # database spells an upsert.
        for start in range(0, len(keys), BATCH):
            batch = list(dict.fromkeys(keys[start : start + BATCH]))
            marks = ", ".join("?" for _ in batch)
            con.run(
                f"delete from {schema}.deleted_records where resource = ? and id in ({marks})",
                [table, *batch],
            )
            values = ", ".join("(?, ?, ?)" for _ in batch)
            con.run(
                f"insert into {schema}.deleted_records values {values}",
                [item for key in batch for item in (table, key, now)],
            )
        key_sql = COMPOSITE_KEYS.get(table, "cast(t.id as varchar)")
        marked += con.run(
            f"update {schema}.{table} as t set deleted_at = d.deleted_at "
            f"from {schema}.deleted_records d "
            f"where d.resource = ? and d.id = {key_sql} and t.deleted_at is null",
            [table],
        )
    return marked
