"""Collections as typed Arrow pages through the run's one client: filters, dialects, bad records."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import pyarrow as pa

from sources.action_network.client import API
from sources.action_network.cursor import Cursor
from sources.action_network.records import RowMaker, TableBuilder
from sources.action_network.settings import PER_PAGE, Collection
from sources.http import (
    ApiClient,
    FatalHttpError,
    MalformedPageError,
    SharedClient,
    iter_hal_pages,
)
from sources.tables import RecordError

_BAD_REQUEST = 400


class Fetcher:
    """What every resource of one source shares: one client on dlt's loop (one rate budget).

    Each resource holds the fetcher open while it reads; the first opens the client and the
    last one out closes it, so a run leaves no connection behind.
    """

    def __init__(self, shared: SharedClient, concurrency: int) -> None:
        self.shared = shared
        self.concurrency = concurrency
        self.client: ApiClient | None = None
        self._builders: dict[str, TableBuilder] = {}

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Fetcher]:
        """Held by each resource while it reads."""
        async with self.shared.open() as client:
            self.client = client
            yield self

    async def tables(
        self,
        collection: Collection,
        make_row: RowMaker,
        path: str | None = None,
        cursor: Cursor | None = None,
        pages: tuple[int, int | None] = (1, None),
    ) -> AsyncGenerator[pa.Table, None]:
        """One table per page of `path` (default `/<collection>`), changed ones only with a cursor;
        only the `pages` from first to last (None: to the end) when given.

        A record that cannot be read fails the run with one line naming the resource, the page
        and the problem.
        """
        path = path or collection.name
        builder = self._builder(collection)
        async with aclosing(self._record_pages(collection, path, cursor, pages)) as numbered:
            async for number, records in numbered:
                try:
                    table = builder.build(records, make_row)
                except RecordError as exc:
                    problem = f"{collection.name}: {exc}"
                    raise MalformedPageError(API, path, number, problem) from None
                if cursor is not None:
                    cursor.observe(records, table)
                yield table

    def empty(self, collection: Collection) -> pa.Table:
        """A table of no rows: yielded for a replaced table, it still empties the old one."""
        return self._builder(collection).schema.empty_table()

    def _builder(self, collection: Collection) -> TableBuilder:
        return self._builders.setdefault(collection.name, TableBuilder(collection.columns))

    async def _record_pages(
        self,
        collection: Collection,
        path: str,
        cursor: Cursor | None,
        stretch: tuple[int, int | None],
    ) -> AsyncGenerator[tuple[int, list[Any]], None]:
        """(page number, records); a 400 on the filter is retried once in the other dialect."""
        assert self.client is not None, "tables() is read while the fetcher is open"
        for attempt in (1, 2):
            params = cursor.params() if cursor is not None else {}
            field = cursor.field if cursor is not None else ""
            number = stretch[0] - 1
            pages = iter_hal_pages(
                self.client,
                path,
                params,
                embedded_key=collection.embedded_key,
                per_page=PER_PAGE,
                resource=collection.name,
                first_page=stretch[0],
                last_page=stretch[1],
            )
            try:
                async with aclosing(pages):
                    async for page in pages:
                        number += 1
                        yield number, page["_embedded"][collection.embedded_key]
                return
            except FatalHttpError as exc:
                rejected = exc.status == _BAD_REQUEST and bool(params) and number < stretch[0]
                if cursor is None or not rejected or attempt == 2:
                    raise
                cursor.flip(field)


async def at_least_one(
    tables: AsyncGenerator[pa.Table, None], empty: pa.Table
) -> AsyncGenerator[pa.Table, None]:
    """The pages of a replaced table, or `empty` when there are none, so the table is emptied."""
    found = False
    async with aclosing(tables):
        async for table in tables:
            found = True
            yield table
    if not found:
        yield empty
