"""Find rows that left NationBuilder without reading the whole collection.

v2 has no feed of deletions. Counting ids by range (`filter[id][gte|lt]` with
`stats[total]=count` and one-row pages) and comparing with the ids the warehouse holds narrows
the search to the ranges that lost rows; only those ranges are listed id by id, with sparse
fields (`fields[<type>]=id`). A run with no deletions costs one request per collection.
"""

from __future__ import annotations

import asyncio
import math
from bisect import bisect_left
from typing import Any

from sources.http import ApiClient, iter_nb_v2_pages
from sources.nationbuilder.settings import PAGE_SIZE


class DeletionSweep:
    """Bisects id ranges of one collection whose counts disagree with the warehouse."""

    def __init__(self, client: ApiClient, path: str, type_name: str, resource: str) -> None:
        self.client, self.path, self.type_name, self.resource = client, path, type_name, resource

    async def run(self, known: list[int]) -> list[int]:
        """Ids in `known` (sorted) that the API no longer has."""
        if not known:
            return []
        hi = known[-1] + 1
        remote = await self.count(known[0], hi)
        return sorted(await self.walk(known[0], hi, known, remote))

    def _filters(self, lo: int, hi: int) -> dict[str, Any]:
        return {"filter[id][gte]": lo, "filter[id][lt]": hi, f"fields[{self.type_name}]": "id"}

    async def count(self, lo: int, hi: int) -> int:
        params = {**self._filters(lo, hi), "stats[total]": "count", "page[size]": 1}
        page = await self.client.get_json(self.path, params, resource=self.resource)
        return int(page["meta"]["stats"]["total"]["count"])

    async def listed(self, lo: int, hi: int) -> set[int]:
        found: set[int] = set()
        pages = iter_nb_v2_pages(
            self.client,
            self.path,
            self._filters(lo, hi),
            page_size=PAGE_SIZE,
            resource=self.resource,
        )
        async for page in pages:
            found.update(int(item["id"]) for item in page["data"])
        return found

    async def walk(self, lo: int, hi: int, local: list[int], remote: int) -> set[int]:
        missing = len(local) - remote
        if missing <= 0:
            return set()
        if remote == 0:
            return set(local)
        listing_cost = math.ceil(remote / PAGE_SIZE) + 1
        bisect_cost = (
            2 * missing * max(1.0, math.log2(max(2.0, len(local) / (PAGE_SIZE * missing))))
        )
        if listing_cost <= bisect_cost:
            return set(local) - await self.listed(lo, hi)
        mid = local[len(local) // 2]
        split = bisect_left(local, mid)
        left_remote = await self.count(lo, mid)
        halves = await asyncio.gather(
            self.walk(lo, mid, local[:split], left_remote),
            self.walk(mid, hi, local[split:], remote - left_remote),
        )
        return halves[0] | halves[1]


class DeletionLog:
    """Deletions found during extract, applied to the warehouse by the pipeline after the load.

    They are not loaded through dlt: a merge of id-only rows would blank the other columns.
    Losing the log to a crash is harmless, because the next run's sweep finds the same rows.
    """

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def record(self, table: str, keys: list[str]) -> None:
        self.found.setdefault(table, []).extend(keys)
