"""A first full load of a long collection read in chunks of pages, each committed by its own load.

dlt commits a resource's state only with a successful load, so a run that reads a million people
in one load and is killed near the end starts again from page 1. Read instead a chunk of pages per
load, keeping in the state the page the next chunk starts from: the run loop
(`pipelines/extract.py`) loads chunk after chunk while a resource's state holds `RESUME`, and a
killed run's successor starts at the first page no committed load covered.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from sources.action_network.cursor import Cursor
from sources.spec import RESUME


class FirstLoadChunk:
    """Which pages of a first full load this run reads, and what the state keeps between chunks.

    AN lists people in a stable order (the order they were added, new ones at the end), so the
    page after the last committed one is where the next chunk starts; a page read twice only
    merges again on `id`. Between chunks the state keeps the next page, the newest modification
    seen so far and when the first chunk began: once the last chunk is read, the cursor the
    incremental runs start from is the older of that newest modification and that beginning, so
    a record changed on an already-read page while later chunks loaded is read again next run.
    """

    def __init__(self, state: dict[str, Any], pages_per_chunk: int) -> None:
        self._state = state
        saved: dict[str, Any] = state.get(RESUME) or {}
        self.first: int = saved.get("next_page", 1)
        self.last: int = self.first + pages_per_chunk - 1
        self._started: str = saved.get("started") or datetime.now(UTC).isoformat()
        self._newest: str | None = saved.get("newest")
        self._read = 0

    @property
    def pages(self) -> tuple[int, int]:
        """The first and last page of this chunk."""
        return self.first, self.last

    async def count(self, tables: AsyncGenerator[pa.Table, None]) -> AsyncGenerator[pa.Table, None]:
        """The chunk's pages, counted: a full chunk means more may follow."""
        async with aclosing(tables):
            async for table in tables:
                self._read += 1
                yield table

    def finish(self, cursor: Cursor) -> None:
        """After the chunk was read: where the next one starts, or the cursor once none remains."""
        cursor.include(self._newest)
        if self._read == self.last - self.first + 1:
            self._state[RESUME] = {
                "next_page": self.last + 1,
                "started": self._started,
                "newest": cursor.newest,
            }
            return
        self._state.pop(RESUME, None)
        cursor.save(not_after=datetime.fromisoformat(self._started))
