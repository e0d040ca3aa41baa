"""The incremental cursor: filter text, dialect learning and flipping, never moving back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pyarrow as pa

from sources.action_network import schemas
from sources.action_network.chunks import FirstLoadChunk
from sources.action_network.cursor import Cursor
from sources.action_network.records import TableBuilder, record_row
from sources.spec import RESUME


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


def read(chunk: FirstLoadChunk, pages: int) -> None:
    """Passes `pages` pages through the chunk's counter, as the people resource does."""

    async def tables() -> AsyncGenerator[pa.Table, None]:
        for _ in range(pages):
            yield pa.table({"id": ["x"]})

    async def drain() -> None:
        async for _ in chunk.count(tables()):
            pass

    asyncio.run(drain())


def test_a_first_load_in_chunks_keeps_its_place_then_saves_the_cursor_once_done() -> None:
    state: dict[str, Any] = {}
    chunk = FirstLoadChunk(state, 2)
    assert chunk.pages == (1, 2)
    cursor = Cursor(state, 3600)
    read(chunk, 2)  # a full chunk: more may follow
    cursor.observe(*page("2025-03-01T12:00:00Z"))
    chunk.finish(cursor)
    assert "cursor" not in state, "no cursor until the whole collection is read"
    assert state[RESUME]["next_page"] == 3
    assert state[RESUME]["newest"] == "2025-03-01T12:00:00+00:00"

    chunk = FirstLoadChunk(state, 2)
    assert chunk.pages == (3, 4)
    cursor = Cursor(state, 3600)
    assert cursor.params() == {}, "still the first load: no filter"
    read(chunk, 1)  # the collection ended inside this chunk
    cursor.observe(*page("2025-02-01T00:00:00Z"))
    chunk.finish(cursor)
    assert RESUME not in state
    assert state["cursor"] == "2025-03-01T12:00:00+00:00", "the newest of every chunk"


def test_a_chunked_first_load_cursor_is_never_after_its_first_chunk_began() -> None:
    state: dict[str, Any] = {RESUME: {"next_page": 9, "started": "2025-03-01T00:00:00+00:00"}}
    chunk = FirstLoadChunk(state, 4)
    cursor = Cursor(state, 3600)
    read(chunk, 3)
    cursor.observe(*page("2025-03-02T00:00:00Z"))  # changed while later chunks were read
    chunk.finish(cursor)
    assert state["cursor"] == "2025-03-01T00:00:00+00:00"
