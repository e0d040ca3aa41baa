"""Action Network source: people, actions and their pages as typed Arrow pages into dlt."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.sources import DltResource

from sources.action_network.chunks import FirstLoadChunk
from sources.action_network.client import API, action_network_settings
from sources.action_network.cursor import Cursor
from sources.action_network.fanout import interleave
from sources.action_network.fetch import Fetcher, at_least_one
from sources.action_network.records import bare_uuid, child_row_maker, page_row, person_row
from sources.action_network.settings import (
    CHUNK_PAGES,
    CONCURRENCY,
    DEFAULT_BASE_URL,
    NESTED,
    OVERLAP_SECONDS,
    PEOPLE,
    RATE_PER_SECOND,
    READ_TIMEOUT,
    STANDALONE,
    Collection,
    Nested,
)
from sources.http import CredentialRegistry, Credentials, SharedClient
from sources.spec import Setting, SourceSpec
from sources.tables import dlt_hints, in_batches

__all__ = ["SPEC", "action_network_source"]

KEY = ("id",)


def _hints(columns: dict[str, str], *, merged: bool) -> TTableSchemaColumns:
    """The shared column hints (JSON columns, non-null key, newest row wins a merge)."""
    return dlt_hints(columns, KEY, merged=merged)


def people_resource(fetcher: Fetcher, overlap_seconds: int, chunk_pages: int) -> DltResource:
    """People changed since the last run (all of them on the first), merged on `id`.

    The first load reads `chunk_pages` pages per dlt load (see `chunks`), so a killed one
    resumes after its last committed chunk.
    """

    async def pages() -> AsyncIterator[pa.Table]:
        state = dlt.current.resource_state(PEOPLE.name)
        cursor = Cursor(state, overlap_seconds)
        chunk = FirstLoadChunk(state, chunk_pages) if cursor.since is None else None
        async with fetcher.open():
            if chunk is None:
                tables = fetcher.tables(PEOPLE, person_row, cursor=cursor)
            else:
                tables = chunk.count(
                    fetcher.tables(PEOPLE, person_row, cursor=cursor, pages=chunk.pages)
                )
            async for table in in_batches(tables):
                yield table
        if chunk is None:
            cursor.save()
        else:
            chunk.finish(cursor)

    return dlt.resource(
        pages,
        name=PEOPLE.name,
        write_disposition="merge",
        primary_key=KEY,
        columns=_hints(PEOPLE.columns, merged=True),
    )


def nested_resource(fetcher: Fetcher, spec: Nested, overlap_seconds: int) -> DltResource:
    """An action table (e.g. `signatures`) and its parent table (`petitions`) from one walk.

    Parents are few and cannot say which of them gained actions, so they are read whole and
    replace their table; then every parent's actions are listed, `concurrency` parents at a time,
    with the modified filter when the API supports one. The resource is named after the action
    table because that table's cursor is what its state keeps (dlt resets the state of
    resources whose own disposition is replace).
    """
    parent, child = spec.parent, spec.child
    make_child_row = child_row_maker(child.name)

    def children(parent_id: str, cursor: Cursor | None) -> AsyncGenerator[pa.Table, None]:
        return fetcher.tables(
            child,
            lambda record: make_child_row(record, spec.parent_key, parent_id),
            path=spec.child_path(bare_uuid(parent_id)),
            cursor=cursor,
        )

    async def pages() -> AsyncIterator[Any]:
        state = dlt.current.resource_state(child.name)
        cursor = Cursor(state, overlap_seconds) if spec.incremental else None
        async with fetcher.open():
            parent_ids: list[str] = []
            # dlt empties a resource's own replaced table when the run brings it nothing, but
            # not a variant table like this one: hand it an empty page instead.
            parents = at_least_one(fetcher.tables(parent, page_row), fetcher.empty(parent))
            async for table in parents:
                parent_ids.extend(table["id"].to_pylist())
                yield dlt.mark.with_table_name(table, parent.name)
            jobs = [lambda pid=pid: children(pid, cursor) for pid in parent_ids]
            async for table in in_batches(interleave(jobs, fetcher.concurrency)):
                yield table
        if cursor is not None:
            cursor.save()

    resource = dlt.resource(
        pages,
        name=child.name,
        write_disposition="merge" if spec.incremental else "replace",
        primary_key=KEY,
    )
    # A table variant starts from a copy of the resource's hints: declare the parent's before
    # the child's columns exist, or the parent table would inherit them.
    resource.apply_hints(
        table_name=parent.name,
        write_disposition="replace",
        primary_key=KEY,
        columns=_hints(parent.columns, merged=False),
        create_table_variant=True,
    )
    resource.apply_hints(columns=_hints(child.columns, merged=spec.incremental))
    return resource


def standalone_resource(fetcher: Fetcher, collection: Collection) -> DltResource:
    """A small collection without children (campaigns, lists, messages), reloaded whole."""

    async def pages() -> AsyncIterator[pa.Table]:
        async with fetcher.open():
            async for table in fetcher.tables(collection, page_row):
                yield table

    return dlt.resource(
        pages,
        name=collection.name,
        write_disposition="replace",
        primary_key=KEY,
        columns=_hints(collection.columns, merged=False),
    )


@dlt.source(name="action_network", max_table_nesting=0)
def action_network_source(
    base_url: str = DEFAULT_BASE_URL,
    api_key: str = dlt.secrets.value,
    rate_per_second: float = RATE_PER_SECOND,
    concurrency: int = CONCURRENCY,
    overlap_seconds: int = OVERLAP_SECONDS,
    read_timeout: float = READ_TIMEOUT,
    chunk_pages: int = CHUNK_PAGES,
    registry: Credentials | None = None,
) -> list[DltResource]:
    """Every Action Network table, all resources sharing one client: one 4 req/s budget per key.

    Pass the run's `registry` to read the request counters afterwards. `read_timeout` is how
    long a response may stall before the request is retried. `chunk_pages` is how many pages
    of people a first load commits at a time (at most what a killed first load reads again).
    """
    settings = action_network_settings(
        base_url, api_key, rate=rate_per_second, read_timeout=read_timeout
    )
    fetcher = Fetcher(SharedClient((registry or CredentialRegistry()).get(settings)), concurrency)
    return [
        people_resource(fetcher, overlap_seconds, chunk_pages),
        *(nested_resource(fetcher, spec, overlap_seconds) for spec in NESTED),
        *(standalone_resource(fetcher, collection) for collection in STANDALONE),
    ]


SPEC = SourceSpec(
    name=API,
    factory=action_network_source,
    settings=(
        Setting("base_url"),
        Setting("api_key", secret=True, required=True),
        Setting("rate_per_second", float),
        Setting("concurrency", int),
        Setting("overlap_seconds", int),
        Setting("read_timeout", float),
        Setting("chunk_pages", int),
    ),
    table_aliases={nested.parent.name: (nested.child.name,) for nested in NESTED},
)
