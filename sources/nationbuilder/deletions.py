"""Find rows that left NationBuilder without reading the whole collection.

v2 has no feed of deletions. Counting ids by range (`filter[id][gte|lt]` with
`stats[total]=count` and one-row pages) and comparing with the ids the warehouse holds narrows
the search to the ranges that lost rows; only those ranges are listed id by id, with sparse
fields (`fields[<type>]=id`). A run with no deletions costs one request per collection, and a
sweep never costs much more than listing every id once (one request per 100 known ids).

The known ids come in as one sorted Arrow array (8 bytes an id, halved by slicing, never
copied into Python lists but for ranges of a page); what the sweeps find goes out as rows of
the `deleted_records` table, loaded by dlt like any other.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from sources.http import ApiClient, MalformedPageError
from sources.nationbuilder import schemas
from sources.nationbuilder.settings import PAGE_SIZE
from sources.tables import arrow_schema

DELETED_RECORDS = "deleted_records"
DELETED_SCHEMA = arrow_schema(schemas.DELETED_RECORDS, ("resource", "id"))

# Bisect only when it is expected to save at least this share of a plain id listing: its cost
# is an estimate and its rounds run one after another, a listing's cost is known.
BISECT_MARGIN = 0.9
LISTING_CONCURRENCY = 8
RELIST_ATTEMPTS = 2


def bisect_cost(known: int, missing: int) -> float:
    """Expected requests to find `missing` ids among `known` by halving: one count per split
    range that lost rows, and one listing per range of at most a page that lost rows."""
    levels = max(0, math.ceil(math.log2(max(1.0, known / PAGE_SIZE))))
    return sum(2**level * (1 - (1 - 2**-level) ** missing) for level in range(levels + 1))


class DeletionSweep:
    """Bisects id ranges of one collection whose counts disagree with the warehouse."""

    def __init__(self, client: ApiClient, path: str, type_name: str, resource: str) -> None:
        self.client, self.path, self.type_name, self.resource = client, path, type_name, resource
        self._gate = asyncio.Semaphore(LISTING_CONCURRENCY)

    async def run(self, known: pa.Array) -> list[int]:
        """Ids in `known` (sorted, distinct) that the API no longer has."""
        if not len(known):
            return []
        return sorted(await self.walk(known[0].as_py(), known[-1].as_py() + 1, known, None))

    def _filters(self, lo: int, hi: int) -> dict[str, Any]:
        return {"filter[id][gte]": lo, "filter[id][lt]": hi, f"fields[{self.type_name}]": "id"}

    def _malformed(self, problem: str) -> MalformedPageError:
        return MalformedPageError(
            "nationbuilder", self.path, 1, f"deletion sweep of {self.resource}: {problem}"
        )

    def _ids(self, page: Any) -> list[int]:
        try:
            return [int(item["id"]) for item in page["data"]]
        except (KeyError, TypeError, ValueError):
            raise self._malformed("a record without a readable id") from None

    async def count(self, lo: int, hi: int) -> int:
        params = {**self._filters(lo, hi), "stats[total]": "count", "page[size]": 1}
        page = await self.client.get_json(self.path, params, resource=self.resource)
        try:
            return int(page["meta"]["stats"]["total"]["count"])
        except (KeyError, TypeError, ValueError):
            raise self._malformed("no meta.stats.total.count in a count response") from None

    async def _listed_once(self, lo: int, hi: int) -> set[int]:
        found: set[int] = set()
        start = lo
        while start < hi:
            params = {**self._filters(start, hi), "sort": "id", "page[size]": PAGE_SIZE}
            async with self._gate:
                page = await self.client.get_json(self.path, params, resource=self.resource)
            ids = self._ids(page)
            found.update(ids)
            if len(ids) < PAGE_SIZE:
                break
            start = max(ids) + 1
        return found

    async def listed(self, lo: int, hi: int, remote: int | None = None) -> set[int]:
        """Every id in [lo, hi), paged by id, checked against the range's count.

        Paging by id rather than by page number cannot skip a row when others are deleted
        meanwhile. A listing shorter than the count (a short or empty page mid-range) would
        take live rows for deleted ones: it is read again, and then refused, never believed.
        """
        for attempt in range(RELIST_ATTEMPTS):
            expected = remote if remote is not None and attempt == 0 else await self.count(lo, hi)
            found = await self._listed_once(lo, hi)
            if len(found) >= expected:
                return found
        raise self._malformed(f"listed {len(found)} ids in [{lo}, {hi}) but {expected} are counted")

    async def list_range(self, lo: int, hi: int, remote: int) -> set[int]:
        """Every id in [lo, hi), its pages fetched concurrently; `remote` is its count.

        Rows deleted while the pages are read shift later rows onto pages already read, so a
        live row could be skipped and taken for deleted: unless exactly `remote` ids came back,
        count again and re-read, and after that page by id, which cannot skip.
        """
        params = {**self._filters(lo, hi), "sort": "id", "page[size]": PAGE_SIZE}
        for _ in range(RELIST_ATTEMPTS):
            pages = await asyncio.gather(
                *(self._page(params, n) for n in range(1, math.ceil(remote / PAGE_SIZE) + 1))
            )
            found = {int(item["id"]) for page in pages for item in page}
            if len(found) == remote:
                return found
            remote = await self.count(lo, hi)
        return await self.listed(lo, hi)

    async def _page(self, params: dict[str, Any], number: int) -> list[dict[str, Any]]:
        async with self._gate:
            page = await self.client.get_json(
                self.path, {**params, "page[number]": number}, resource=self.resource
            )
        self._ids(page)  # every record must carry a readable id
        data: list[dict[str, Any]] = page["data"]
        return data

    async def walk(self, lo: int, hi: int, local: pa.Array, remote: int | None) -> set[int]:
        """The ids of `local` gone from [lo, hi); `remote` is the range's count when known."""
        if remote is None:
            remote = await self.count(lo, hi)
        if len(local) <= remote:
            return set()
        if remote == 0:
            return set(local.to_pylist())
        if len(local) <= PAGE_SIZE:
            return set(local.to_pylist()) - await self.listed(lo, hi, remote)
        listing = math.ceil(len(local) / PAGE_SIZE)
        if bisect_cost(len(local), len(local) - remote) >= listing * BISECT_MARGIN:
            return set(local.to_pylist()) - await self.list_range(lo, hi, remote)
        split = len(local) // 2
        mid = local[split].as_py()
        left_remote = await self.count(lo, mid)
        halves = await asyncio.gather(
            self.walk(lo, mid, local.slice(0, split), left_remote),
            self.walk(mid, hi, local.slice(split), remote - left_remote),
        )
        return halves[0] | halves[1]


class Sweeps:
    """What one run's sweeps found, shared by the resources of one source on one loop.

    A sweep's finds leave the source as `deleted_records` pages (`table()`); the lists diff
    also waits for the signups sweep (`wait_for`), since NationBuilder drops deleted people from
    their lists, and a list that lost only them needs no second reading.
    """

    def __init__(self) -> None:
        self.found: dict[str, set[str]] = {}
        self._done: dict[str, asyncio.Event] = {}

    def _event(self, table: str) -> asyncio.Event:
        # Made on first use, inside dlt's event loop, which every resource of a run shares.
        return self._done.setdefault(table, asyncio.Event())

    def record(self, table: str, keys: list[str]) -> pa.Table:
        """Notes keys found deleted; the `deleted_records` page that says so."""
        self.found.setdefault(table, set()).update(keys)
        now = datetime.now(UTC)
        return pa.table(
            {
                "resource": pa.array([table] * len(keys), pa.string()),
                "id": pa.array(keys, pa.string()),
                "deleted_at": pa.array([now] * len(keys), pa.timestamp("us", tz="UTC")),
            },
            schema=DELETED_SCHEMA,
        )

    def done(self, table: str) -> None:
        """`table`'s sweep is over (or will not run): whoever waits on it may go on."""
        self._event(table).set()

    async def wait_for(self, table: str) -> set[str]:
        """The keys `table`'s sweep found deleted, once it is over."""
        await self._event(table).wait()
        return set(self.found.get(table, ()))
