"""JSON:API resource objects and v1 results to flat rows and typed Arrow tables."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from sources.tables import RecordError, arrow_schema, to_table


def flatten(resource: dict[str, Any]) -> dict[str, Any]:
    """`{id, attributes, relationships}` to one row: to-one relationships become `<name>_id`."""
    if not isinstance(resource, dict) or resource.get("id") in (None, ""):
        raise RecordError("a record without an id")
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict):
        raise RecordError(f"record {resource.get('id')}: attributes is not an object")
    row = dict(attributes)
    for name, relation in (resource.get("relationships") or {}).items():
        data = relation.get("data") if isinstance(relation, dict) else None
        if isinstance(data, dict) and data.get("id") is not None and f"{name}_id" not in row:
            row[f"{name}_id"] = data["id"]
    row["id"] = resource["id"]
    return row


class TableBuilder:
    """Turns pages of one collection into Arrow tables of its declared schema."""

    def __init__(self, columns: dict[str, str], primary_key: tuple[str, ...] = ("id",)) -> None:
        self.columns = columns
        self.schema = arrow_schema(columns, primary_key)

    def from_v2(self, data: list[dict[str, Any]]) -> pa.Table:
        return to_table([flatten(item) for item in data], self.columns, self.schema)

    def from_rows(self, rows: list[dict[str, Any]]) -> pa.Table:
        return to_table(rows, self.columns, self.schema)
