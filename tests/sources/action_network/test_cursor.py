"""The incremental cursor: filter text, dialect learning and flipping, never moving back."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from sources.action_network import schemas
from sources.action_network.cursor import Cursor
from sources.action_network.records import TableBuilder, record_row


def page(*modified: str, field: str = "modified_date") -> tuple[list[dict[str, Any]], pa.Table]:
    records = [
        {"identifiers": [f"action_network:{i}"], field: value} for i, value in enumerate(modified)
    ]
    return records, TableBuilder(schemas.TAGS).build(records, record_row)


def test_first_run_has_no_filter_and_saves_the_newest_time_and_dialect() -> None:
    state: dict[str, Any] = {}
    cursor = Cursor(state, 3600)
    assert cursor.params() == {}
    cursor.observe(*page("2025-01-01T00:00:00Z", "2025-03-01T12:00:00Z", field="modified_at"))
    cursor.observe(*page("2025-02-01T00:00:00Z", field="modified_at"))
    assert state == {}, "nothing is saved before the run ends"
    cursor.save()
    assert state == {"modified_field": "modified_at", "cursor": "2025-03-01T12:00:00+00:00"}


def test_next_run_filters_from_the_cursor_minus_the_overlap() -> None:
    state = {"modified_field": "modified_date", "cursor": "2025-03-01T12:00:00+00:00"}
    assert Cursor(state, 3600).params() == {"filter": "modified_date gt '2025-03-01T11:00:00Z'"}


def test_cursor_never_moves_back() -> None:
    state = {"modified_field": "modified_date", "cursor": "2025-03-01T12:00:00+00:00"}
    cursor = Cursor(state, 3600)
    cursor.observe(*page("2025-03-01T11:30:00Z"))  # re-read inside the overlap
    cursor.save()
    assert state["cursor"] == "2025-03-01T12:00:00+00:00"


def test_flip_switches_dialect_once_for_concurrent_rejections() -> None:
    cursor = Cursor({"cursor": "2025-03-01T12:00:00+00:00"}, 0)
    cursor.flip("modified_date")
    cursor.flip("modified_date")  # a second listing saw the same 400
    assert cursor.params() == {"filter": "modified_at gt '2025-03-01T12:00:00Z'"}
