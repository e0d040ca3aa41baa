"""NationBuilder source: v2 collections (and v1 or v2 lists) as typed Arrow pages into dlt.

NationBuilder has no feed of deletions: each incremental collection sweeps for rows that left
(sources/nationbuilder/deletions.py) against the ids the warehouse held before the run, which
the pipeline passes in as `known`; what the sweeps find is loaded as `deleted_records` rows, and
the warehouse stamps `deleted_at` from them after the load.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.typing import TSecretStrValue
from dlt.sources import DltResource

from sources.http import (
    ApiClient,
    CredentialRegistry,
    Credentials,
    MalformedPageError,
    SharedClient,
    iter_nb_v1_pages,
    iter_nb_v2_pages,
)
from sources.nationbuilder import schemas
from sources.nationbuilder.auth import authorized_settings
from sources.nationbuilder.chunks import IdChunk
from sources.nationbuilder.client import API
from sources.nationbuilder.deletions import DELETED_RECORDS, DeletionSweep, Sweeps
from sources.nationbuilder.records import TableBuilder
from sources.nationbuilder.settings import (
    CHUNK_PAGES,
    COLLECTIONS,
    LIST_READS,
    OVERLAP_SECONDS,
    PAGE_SIZE,
    V1_PAGE_LIMIT,
    Collection,
)
from sources.spec import KnownTable, Setting, SourceSpec
from sources.tables import RecordError, dlt_hints, in_batches

__all__ = ["SPEC", "nationbuilder_source"]

LIST_PAIR = ("list_id", "signup_id")
DELETED_HINTS = dlt_hints(schemas.DELETED_RECORDS, ("resource", "id"), merged=False)


def _with_deleted_records(resource: DltResource) -> DltResource:
    """Lets `resource` also fill `deleted_records` (one row per key found gone, merged on it).

    A table variant starts from a copy of the resource's hints: declare it before the
    resource's own columns, or it would inherit them.
    """
    resource.apply_hints(
        table_name=DELETED_RECORDS,
        write_disposition="merge",
        primary_key=("resource", "id"),
        columns=DELETED_HINTS,
        create_table_variant=True,
    )
    return resource


def _sorted_ids(known: pa.Table | None, seen: list[int]) -> pa.Array:
    """The ids the warehouse held and the ids this run read, sorted and distinct."""
    held = known["id"].combine_chunks() if known is not None else pa.array([], pa.int64())
    ids = pc.unique(pa.concat_arrays([held.cast(pa.int64()), pa.array(seen, pa.int64())]))
    return pc.take(ids, pc.sort_indices(ids))


def _api_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _newest(current: datetime | None, table: pa.Table, column: str) -> datetime | None:
    if column not in table.column_names or table.num_rows == 0:
        return current
    value = pc.max(table[column]).as_py()
    if value is None:
        return current
    return value if current is None or value > current else current


async def _typed_pages(
    client: ApiClient,
    collection: str,
    path: str,
    params: dict[str, Any],
    builder: TableBuilder,
    concurrency: int | None,
    last_page: int | None = None,
) -> AsyncGenerator[pa.Table, None]:
    """Pages of a v2 index as tables; conversion runs in a worker thread, off dlt's event loop."""
    number = 0
    async for page in iter_nb_v2_pages(
        client,
        path,
        params,
        page_size=PAGE_SIZE,
        concurrency=concurrency,
        resource=collection,
        last_page=last_page,
    ):
        number += 1
        try:
            yield await asyncio.to_thread(builder.from_v2, page["data"])
        except RecordError as exc:
            raise MalformedPageError(
                "nationbuilder", path, number, f"{collection}: {exc}"
            ) from None


def collection_resource(
    spec: Collection,
    shared: SharedClient,
    concurrency: int | None,
    overlap: timedelta,
    known: pa.Table | None,
    sweeps: Sweeps,
    chunk_pages: int,
) -> DltResource:
    """A v2 collection: incremental on its cursor with a deletion sweep, or reloaded whole.

    An incremental collection's first load reads `chunk_pages` pages per dlt load (see
    `chunks`), so a killed one resumes after its last committed chunk.
    """
    builder = TableBuilder(spec.columns)
    hints = dlt_hints(spec.columns, ("id",), merged=spec.cursor is not None)

    async def pages() -> AsyncIterator[Any]:
        state = dlt.current.resource_state()
        saved = state.get("cursor")
        chunk = IdChunk(state, chunk_pages) if spec.cursor and not saved else None
        params: dict[str, Any] = {"sort": "id"}
        if spec.cursor and saved:
            since = datetime.fromisoformat(saved) - overlap
            params[f"filter[{spec.cursor}][gte]"] = _api_time(since)
        newest = datetime.fromisoformat(saved) if saved else chunk.newest if chunk else None
        seen: list[int] = []
        async with shared.open() as client:
            if chunk is not None:
                params.update(chunk.params())
            last_page = chunk.pages if chunk else None
            pages = _typed_pages(
                client, spec.name, spec.path, params, builder, concurrency, last_page
            )
            if chunk is not None:
                pages = chunk.count(pages, spec.path)
            async for table in in_batches(pages):
                if spec.cursor:
                    newest = _newest(newest, table, spec.cursor)
                if saved:
                    seen.extend(table["id"].to_pylist())
                yield table
            if spec.sweeps_deletions and saved:
                sweep = DeletionSweep(client, spec.path, spec.name, spec.name)
                gone = await sweep.run(_sorted_ids(known, seen))
                if gone:
                    found = sweeps.record(spec.name, [str(i) for i in gone])
                    yield dlt.mark.with_table_name(found, DELETED_RECORDS)
        sweeps.done(spec.name)
        if chunk is not None:
            newest = chunk.finish(newest)
        if newest is not None:
            state["cursor"] = newest.isoformat()

    disposition: Literal["merge", "replace"] = "merge" if spec.cursor else "replace"
    resource = dlt.resource(pages, name=spec.name, primary_key="id", write_disposition=disposition)
    if spec.sweeps_deletions:
        _with_deleted_records(resource)
    return resource.apply_hints(columns=hints)


def lists_resources(
    shared: SharedClient,
    api_version: str,
    concurrency: int | None,
    known_pairs: pa.Table | None,
    sweeps: Sweeps,
) -> tuple[DltResource, DltResource]:
    """`lists` and `list_signups` (who is on which list), through v2 or v1: same tables either way.

    List memberships carry no timestamps, so a list's members are re-read only when the list
    changed: its size differs from the warehouse's count, or (v2) its `updated_at` moved. The
    members of a list that was deleted are marked deleted.
    """
    list_builder = TableBuilder(schemas.LISTS)
    pair_builder = TableBuilder(schemas.LIST_SIGNUPS, ("list_id", "signup_id"))

    async def lists() -> AsyncIterator[Any]:
        seen: set[int] = set()
        async with shared.open() as client:
            async for table in list_pages(client):
                seen.update(table["id"].to_pylist())
                yield table
        # A list the nation no longer has takes its members with it: its pairs are never
        # re-read, so they are marked here, once every list has been read.
        gone = sorted((lid, sid) for lid, sid in held_pairs() if lid not in seen)
        if gone:
            found = sweeps.record("list_signups", [f"{lid}:{sid}" for lid, sid in gone])
            yield dlt.mark.with_table_name(found, DELETED_RECORDS)

    def held_pairs() -> list[tuple[int, int]]:
        if known_pairs is None:
            return []
        return list(zip(*(known_pairs[name].to_pylist() for name in LIST_PAIR), strict=True))

    async def list_pages(client: ApiClient) -> AsyncIterator[pa.Table]:
        if api_version == "v1":
            number = 0
            async for page in iter_nb_v1_pages(
                client, "/api/v1/lists", limit=V1_PAGE_LIMIT, resource="lists"
            ):
                number += 1
                rows = [{**row, "signups_count": row.get("count")} for row in page["results"]]
                for row in rows:
                    row.pop("count", None)
                try:
                    yield list_builder.from_rows(rows)
                except RecordError as exc:
                    raise MalformedPageError(
                        "nationbuilder", "/api/v1/lists", number, f"lists: {exc}"
                    ) from None
        else:
            async for table in _typed_pages(
                client, "lists", "/api/v2/lists", {"sort": "id"}, list_builder, concurrency
            ):
                yield table

    async def members(client: ApiClient, list_id: int) -> list[int]:
        if api_version == "v1":
            path = f"/api/v1/lists/{list_id}/people"
            pages = iter_nb_v1_pages(client, path, limit=V1_PAGE_LIMIT, resource="list_signups")
            records = "results"
        else:
            path = f"/api/v2/lists/{list_id}/signups"
            params = {"fields[signups]": "id", "sort": "id"}
            pages = iter_nb_v2_pages(
                client,
                path,
                params,
                page_size=PAGE_SIZE,
                concurrency=concurrency,
                resource="list_signups",
            )
            records = "data"
        found: list[int] = []
        number = 0
        async for page in pages:
            number += 1
            try:
                found.extend(int(item["id"]) for item in page[records])
            except (KeyError, TypeError, ValueError):
                problem = "list_signups: a member without a readable id"
                raise MalformedPageError("nationbuilder", path, number, problem) from None
        return found

    async def signups_deleted_this_run() -> set[int]:
        """People the signups sweep found deleted: NationBuilder drops them from their lists
        too, so a list that only lost those is known without reading it again."""
        source = dlt.current.source()
        if not source.resources.get("signups", None) or (
            "signups" not in source.resources.selected
        ):
            return set()
        return {int(key) for key in await sweeps.wait_for("signups")}

    async def list_signups(lists_page: pa.Table) -> AsyncIterator[Any]:
        if "signups_count" not in lists_page.column_names:
            return  # the lists resource's deleted_records pages feed no diff
        state = dlt.current.resource_state()
        seen_versions: dict[str, str] = state.setdefault("list_versions", {})
        held: dict[int, set[int]] = {}
        for list_id, signup_id in held_pairs():
            held.setdefault(list_id, set()).add(signup_id)
        gone_people = await signups_deleted_this_run()
        left_with_them: list[str] = []
        for list_id, members_held in held.items():
            left = sorted(members_held & gone_people)
            left_with_them.extend(f"{list_id}:{s}" for s in left)
            members_held.difference_update(left)
        if left_with_them:
            found = sweeps.record("list_signups", left_with_them)
            yield dlt.mark.with_table_name(found, DELETED_RECORDS)
        rows = lists_page.select(["id", "signups_count", "updated_at"]).to_pylist()
        changed = [
            row["id"]
            for row in rows
            if len(held.get(row["id"], ())) != row["signups_count"]
            or seen_versions.get(str(row["id"])) != str(row["updated_at"])
        ]
        gate = asyncio.Semaphore(concurrency or LIST_READS)

        async def read(client: ApiClient, list_id: int) -> tuple[int, list[int]]:
            async with gate:
                return list_id, await members(client, list_id)

        async with shared.open() as client:
            tasks = [asyncio.ensure_future(read(client, list_id)) for list_id in changed]
            try:
                for task in asyncio.as_completed(tasks):
                    list_id, current = await task
                    if current:
                        yield pair_builder.from_rows(
                            [{"list_id": list_id, "signup_id": s} for s in current]
                        )
                    removed = held.get(list_id, set()) - set(current)
                    if removed:
                        keys = [f"{list_id}:{s}" for s in sorted(removed)]
                        found = sweeps.record("list_signups", keys)
                        yield dlt.mark.with_table_name(found, DELETED_RECORDS)
            finally:
                # One list failed (or the run stopped): stop reading the others.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        for row in rows:
            seen_versions[str(row["id"])] = str(row["updated_at"])

    lists_resource = _with_deleted_records(
        dlt.resource(lists, name="lists", primary_key="id", write_disposition="replace")
    ).apply_hints(columns=dlt_hints(schemas.LISTS, ("id",), merged=False))
    pairs_resource = _with_deleted_records(
        dlt.transformer(
            list_signups,
            data_from=lists_resource,
            name="list_signups",
            primary_key=LIST_PAIR,
            write_disposition="merge",
        )
    ).apply_hints(columns=dlt_hints(schemas.LIST_SIGNUPS, LIST_PAIR))
    return lists_resource, pairs_resource


@dlt.source(name="nationbuilder", max_table_nesting=0)
def nationbuilder_source(
    base_url: str = dlt.config.value,
    access_token: str = dlt.secrets.value,
    client_id: str | None = None,
    client_secret: TSecretStrValue | None = None,
    refresh_token: TSecretStrValue | None = None,
    lists_api: str = "v2",
    rate_per_second: float = 25.0,
    burst: int = 50,
    concurrency: int | None = None,
    overlap_seconds: int = OVERLAP_SECONDS,
    token_cache: str | None = None,
    read_timeout: float = 30.0,
    chunk_pages: int = CHUNK_PAGES,
    registry: Credentials | None = None,
    known: Mapping[str, pa.Table] | None = None,
) -> list[DltResource]:
    """Every NationBuilder table. `lists_api="v1"` reads lists through v1 for nations on v1 tokens.

    `known` holds the live keys of the tables SPEC names in `known_tables`, as the warehouse
    had them before the run: incremental collections sweep for deletions against them. Without
    them (a source run outside the pipeline) nothing is swept. `client_secret` and
    `refresh_token` are typed as secrets so dlt keeps their values out of its trace and state,
    as it does for `access_token`. `chunk_pages` is how many pages of a collection a first
    load commits at a time (at most what a killed first load reads again).
    """
    if lists_api not in ("v1", "v2"):
        raise ValueError(f"lists_api must be 'v1' or 'v2', got {lists_api!r}")
    settings = authorized_settings(
        base_url,
        access_token,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        token_cache=Path(token_cache) if token_cache else None,
        rate=rate_per_second,
        burst=burst,
        read_timeout=read_timeout,
    )
    shared = SharedClient((registry or CredentialRegistry()).get(settings))
    overlap = timedelta(seconds=overlap_seconds)
    held = dict(known or {})
    sweeps = Sweeps()
    resources = [
        collection_resource(
            spec, shared, concurrency, overlap, held.get(spec.name), sweeps, chunk_pages
        )
        for spec in COLLECTIONS
    ]
    resources.extend(
        lists_resources(shared, lists_api, concurrency, held.get("list_signups"), sweeps)
    )
    return resources


SPEC = SourceSpec(
    name=API,
    factory=nationbuilder_source,
    settings=(
        Setting("base_url", required=True),
        Setting("access_token", secret=True, required=True),
        Setting("client_id", secret=True),
        Setting("client_secret", secret=True),
        Setting("refresh_token", secret=True),
        Setting("lists_api"),
        Setting("rate_per_second", float),
        Setting("burst", int),
        Setting("concurrency", int),
        Setting("overlap_seconds", int),
        Setting("read_timeout", float),
        Setting("chunk_pages", int),
        Setting("token_cache"),
    ),
    known_tables=(
        *(KnownTable(spec.name) for spec in COLLECTIONS if spec.sweeps_deletions),
        KnownTable("list_signups", LIST_PAIR),
    ),
)
