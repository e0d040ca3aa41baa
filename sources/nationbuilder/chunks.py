"""A first full load of a v2 collection read in chunks of pages, each committed by its own load.

dlt commits a resource's state only with a successful load, so a first load of a big nation read
as one load restarts from its first page when it is killed near the end, and merges every row it
staged at once (DuckDB's memory for that merge grows with the collection). Read instead a chunk
of pages per load: the run loop (`pipelines/extract.py`) loads chunk after chunk while the
resource's state holds `RESUME`, and a killed run's successor starts after the last id a
committed chunk held.

Each chunk pages `sort=id` from page 1 of the ids above that one (`filter[id][gt]`), not from a
page number: rows deleted from stretches already read cannot shift unread rows into them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sources.http import PaginationLoopError
from sources.nationbuilder.client import API
from sources.spec import RESUME


class IdChunk:
    """Which rows this chunk of a first load reads, and what the state keeps between chunks.

    Between chunks the state keeps the last id read, the newest cursor value seen so far
    (`newest`, which the next chunk goes on from) and when the first chunk began. Once the last
    chunk is read, the cursor the incremental runs start from is the older of that newest value
    and that beginning: a row changed in a stretch already read while later chunks loaded is
    read again by the next run.
    """

    def __init__(self, state: dict[str, Any], pages_per_chunk: int) -> None:
        self._state = state
        saved: dict[str, Any] = state.get(RESUME) or {}
        self.pages = pages_per_chunk
        self._after: int | None = saved.get("after_id")
        started = saved.get("started")
        self._started = datetime.fromisoformat(started) if started else datetime.now(UTC)
        newest = saved.get("newest")
        self.newest: datetime | None = datetime.fromisoformat(newest) if newest else None
        self._read = 0

    def params(self) -> dict[str, Any]:
        """The filter that starts this chunk after the last committed one."""
        return {} if self._after is None else {"filter[id][gt]": self._after}

    async def count(
        self, tables: AsyncGenerator[pa.Table, None], path: str
    ) -> AsyncGenerator[pa.Table, None]:
        """The chunk's pages (one table each), counted, with the last id they held.

        A row at or below the id the chunk starts after means the server ignored the filter:
        every chunk would then read the same rows again, and the first load would never end.
        """
        start = self._after
        async with aclosing(tables):
            async for table in tables:
                self._read += 1
                if table.num_rows:
                    if start is not None and pc.min(table["id"]).as_py() <= start:
                        problem = f"ids at or below {start} despite filter[id][gt]={start}"
                        raise PaginationLoopError(API, path, self._read, problem)
                    self._after = max(self._after or 0, pc.max(table["id"]).as_py())
                yield table

    def finish(self, newest: datetime | None) -> datetime | None:
        """After the chunk was read, with the newest cursor value of every chunk so far: the
        cursor to save once no chunk remains, else None (the state then says where the next
        chunk starts). A full chunk means more may follow."""
        if self._read == self.pages:
            self._state[RESUME] = {
                "after_id": self._after,
                "started": self._started.isoformat(),
                "newest": newest.isoformat() if newest else None,
            }
            return None
        self._state.pop(RESUME, None)
        return None if newest is None else min(newest, self._started)
