"""Remove the second copies of rows that a replaced table can receive, keyed by its primary key.

A replaced table (`write_disposition="replace"`) is truncated once per load package and then
appended to, file by file; unlike a merged table nothing deduplicates it. Two things can append
a row twice. A crash between DuckDB committing a file and dlt recording that it did: the next
run resumes the package and inserts that file again (dlt truncates only once per package). And
an API that repeats a record across pages. Either way the copies share a key, so keeping one
row per key restores the table (the newest load's, should the copies come from two loads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from warehouse.destination import Connection

LOAD_ID = "_dlt_load_id"


def drop_duplicate_keys(
    con: Connection, schema: str, tables: Mapping[str, Sequence[str]]
) -> dict[str, int]:
    """Delete every row but one per primary key in each existing table; rows removed per table."""
    existing = {
        name
        for (name,) in con.query(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        )
    }
    removed: dict[str, int] = {}
    for table, key in sorted(tables.items()):
        if table not in existing or not key:
            continue
        columns = {
            name
            for (name,) in con.query(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            )
        }
        newest = f"order by {LOAD_ID} desc" if LOAD_ID in columns else ""
        row_id = "rowid" if con.is_duckdb else "ctid"
        count = con.run(
            f"delete from {schema}.{table} where {row_id} in (select {row_id} from ("
            f"select {row_id}, row_number() over (partition by {', '.join(key)} {newest}) as copy "
            f"from {schema}.{table}) as numbered where copy > 1)"
        )
        if count:
            removed[table] = count
    return removed
