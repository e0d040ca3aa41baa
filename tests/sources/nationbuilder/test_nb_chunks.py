"""A NationBuilder first load in chunks: where each chunk starts, and the cursor once done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from sources.http import PaginationLoopError
from sources.nationbuilder.chunks import IdChunk
from sources.spec import RESUME


def read(chunk: IdChunk, pages: list[list[int]]) -> None:
    """Hands the chunk pages holding these ids, as the source's walk does."""

    async def tables() -> AsyncGenerator[pa.Table, None]:
        for ids in pages:
            yield pa.table({"id": pa.array(ids, pa.int64())})

    async def drain() -> None:
        async for _ in chunk.count(tables(), "/api/v2/signups"):
            pass

    asyncio.run(drain())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_full_chunk_keeps_the_last_id_and_the_next_starts_above_it() -> None:
    state: dict[str, Any] = {}
    chunk = IdChunk(state, 2)
    assert chunk.params() == {}, "the first chunk starts at the first id"
    read(chunk, [[1, 2], [3, 7]])
    assert chunk.finish(at("2025-03-01T12:00:00+00:00")) is None, (
        "no cursor until the whole collection is read"
    )
    assert state[RESUME]["after_id"] == 7
    assert state[RESUME]["newest"] == "2025-03-01T12:00:00+00:00"

    chunk = IdChunk(state, 2)
    assert chunk.params() == {"filter[id][gt]": 7}
    assert chunk.newest == at("2025-03-01T12:00:00+00:00"), "carried to the next chunk"


def test_a_short_chunk_ends_the_first_load_with_the_newest_value_seen() -> None:
    state: dict[str, Any] = {RESUME: {"after_id": 7, "started": datetime.now(UTC).isoformat()}}
    chunk = IdChunk(state, 3)
    read(chunk, [[8, 9]])  # the walk ended inside this chunk
    assert chunk.finish(at("2025-03-01T12:00:00+00:00")) == at("2025-03-01T12:00:00+00:00")
    assert RESUME not in state


def test_the_cursor_is_never_after_the_first_chunk_began() -> None:
    state: dict[str, Any] = {RESUME: {"after_id": 7, "started": "2025-03-01T00:00:00+00:00"}}
    chunk = IdChunk(state, 3)
    read(chunk, [[8]])
    changed = at("2025-03-02T00:00:00+00:00")  # changed while later chunks were read
    assert chunk.finish(changed) == at("2025-03-01T00:00:00+00:00")


def test_an_empty_collection_leaves_no_cursor_and_no_chunk() -> None:
    state: dict[str, Any] = {}
    chunk = IdChunk(state, 2)
    read(chunk, [])
    assert chunk.finish(None) is None
    assert state == {}


def test_a_server_that_ignores_the_id_filter_stops_the_load_instead_of_looping() -> None:
    state: dict[str, Any] = {RESUME: {"after_id": 7, "started": datetime.now(UTC).isoformat()}}
    chunk = IdChunk(state, 2)
    with pytest.raises(PaginationLoopError, match=r"ids at or below 7 despite filter\[id\]"):
        read(chunk, [[1, 2]])  # the first rows again
