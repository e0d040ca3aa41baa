"""What the destination already holds, read during extract (deletion sweeps, list diffs).

Reading the warehouse instead of keeping id sets in dlt state keeps the state small and makes
the warehouse the one record of what landed.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation


def live_rows(table: str, columns: tuple[str, ...] = ("id",)) -> list[tuple[Any, ...]]:
    """Rows of `table` not marked deleted; empty when the table does not exist yet (first run)."""
    try:
        pipeline = dlt.current.pipeline()
    except Exception:  # the source runs outside a pipeline: nothing is known
        return []
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            select = ", ".join(columns)
            rows = client.execute_sql(f"select {select} from {name} where deleted_at is null")
    except DatabaseUndefinedRelation:
        return []
    return [tuple(row) for row in rows or []]
