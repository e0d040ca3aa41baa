"""Paginators for NB v2 (JSON:API), NB v1 (nonce links) and Action Network (HAL+JSON)."""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

import orjson
from yarl import URL

from sources.http.client import ApiClient, Params
from sources.http.errors import MalformedPageError, PaginationLoopError, redact_url

Page = dict[str, Any]
FetchPage = Callable[[int], Awaitable[Page]]
# Pages to have asked for at once: a number, or asked of the client each time (None).
Window = Callable[[], int]

NB_V2_MAX_PAGE_SIZE = 100
NB_V1_MAX_LIMIT = 100
HAL_MAX_PER_PAGE = 25


class _PageGuard:
    """Validates pages and remembers what was served, to catch a server that repeats itself."""

    def __init__(self, client: ApiClient, path: str) -> None:
        self._api = client.settings.api
        self._path = redact_url(path)
        self._stats = client.stats
        self._signatures: set[bytes] = set()
        self._links: set[str] = set()

    def malformed(self, number: int, problem: str) -> MalformedPageError:
        return MalformedPageError(self._api, self._path, number, problem)

    def require_dict(self, number: int, page: Any) -> Page:
        if not isinstance(page, dict):
            raise self.malformed(number, f"expected a JSON object, got {type(page).__name__}")
        return page

    def require_list(self, number: int, value: Any, name: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.malformed(number, f"'{name}' is not a list (got {type(value).__name__})")
        return value

    def accept(self, number: int, records: list[Any], resource: str | None) -> None:
        """Counts a page's records once it is known to be new: a page that begins and ends with
        the records another began and ended with, and holds as many, is that page again."""
        ends = orjson.dumps([records[0], records[-1], len(records)])
        signature = hashlib.blake2b(ends, digest_size=16).digest()
        if signature in self._signatures:
            problem = "same records as an earlier page"
            raise PaginationLoopError(self._api, self._path, number, problem)
        self._signatures.add(signature)
        self._stats.add_records(len(records), resource)

    def follow(self, number: int, link: str) -> None:
        if link in self._links:
            problem = f"next link repeats: {redact_url(link)}"
            raise PaginationLoopError(self._api, self._path, number, problem)
        self._links.add(link)


async def _in_order(
    fetch: FetchPage, first: int, known_last: int | None, window: Window, stop: int | None = None
) -> AsyncGenerator[tuple[int, Page], None]:
    """Fetches numbered pages ahead of the consumer and hands them over in page order.

    Up to `window()` pages are in flight while the total is unknown or the page is within
    `known_last`; past a known end pages are probed one at a time, because the next one is most
    likely the empty page that ends the collection. Pages still in flight when the consumer stops
    (at the first empty page) are cancelled and never yielded. Nothing past `stop` is requested.
    """
    tasks: dict[int, asyncio.Task[Page]] = {}
    scheduled = number = first
    try:
        while stop is None or number <= stop:
            while scheduled - number < _window(scheduled, known_last, window()) and (
                stop is None or scheduled <= stop
            ):
                tasks[scheduled] = asyncio.ensure_future(fetch(scheduled))
                scheduled += 1
            yield number, await tasks.pop(number)
            number += 1
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


def _require_range(name: str, value: int | None, high: int | None = None) -> None:
    if value is None:
        return
    if value < 1 or (high is not None and value > high):
        allowed = f"1..{high}" if high is not None else ">= 1"
        raise ValueError(f"{name} must be {allowed}, got {value}")


def _window(page: int, known_last: int | None, concurrency: int) -> int:
    return concurrency if known_last is None or page <= known_last else 1


def _pages_ahead(client: ApiClient, concurrency: int | None) -> Window:
    """A fixed window, or the client's measured one when none is given."""
    if concurrency is None:
        return client.pages_ahead
    return lambda: concurrency


async def iter_nb_v2_pages(
    client: ApiClient,
    path: str,
    params: Params | None = None,
    page_size: int = NB_V2_MAX_PAGE_SIZE,
    concurrency: int | None = None,
    resource: str | None = None,
    *,
    last_page: int | None = None,
) -> AsyncGenerator[Page, None]:
    """Yields the non-empty pages of an NB v2 index endpoint, in page order.

    Sample page (``GET /api/v2/signups?page[size]=2&page[number]=1&stats[total]=count``)::

        {"data": [{"id": "1", "type": "signups", "attributes": {...}}, {"id": "2", ...}],
         "included": [...],
         "links": {"self": "...", "next": "/api/v2/signups?page[number]=2&page[size]=2"},
         "meta": {"stats": {"total": {"count": 3}}}}

    `links.next` is present on every page that has data, even when the next page is empty, so
    the documented end is an empty `data`. Page 1 asks for the total count; pages 2..N are then
    fetched `concurrency` at a time (by default as many as the client's measured latency needs
    to keep the rate limit busy), and N+1, N+2, ... one by one until the empty page (rows may
    be added while paging). Pages are yielded in order, so a failure never leaves a gap behind
    pages already handed over. `last_page` reads one stretch of the index (a chunk of a long
    load that resumes): nothing after it is requested.

    An empty page that still links `next`, or that comes before the counted rows were all read,
    is a broken answer rather than the end: taking it for the end would drop every later row
    without a word (and move the cursor past them). Rows deleted while paging can empty the
    last pages legitimately, so the count is asked again before such a page fails the walk.
    """
    _require_range("page_size", page_size, NB_V2_MAX_PAGE_SIZE)
    _require_range("concurrency", concurrency)
    _require_range("last_page", last_page)
    guard = _PageGuard(client, path)
    base = {**(params or {}), "page[size]": page_size}

    async def fetch(number: int) -> Page:
        query = {**base, "page[number]": number}
        if number == 1:
            query["stats[total]"] = "count"
        page = guard.require_dict(number, await client.get_json(path, query, resource=resource))
        guard.require_list(number, page.get("data"), "data")
        if "included" in page:
            guard.require_list(number, page["included"], "included")
        return page

    async def recount() -> int | None:
        query = {**base, "page[size]": 1, "page[number]": 1, "stats[total]": "count"}
        page = await client.get_json(path, query, resource=resource)
        return _nb_v2_total(guard.require_dict(1, page))

    async def check_end(number: int, page: Page, total: int | None) -> None:
        """An empty page ends the walk only if nothing says rows remain (see _nb_v2_end)."""
        if _link(page.get("links"), "next"):
            raise guard.malformed(number, "no records, yet it links a next page")
        before = (number - 1) * page_size
        if total is None or total <= before:
            return
        recounted = await recount()
        if recounted is not None and recounted > before:
            problem = f"no records, yet {recounted} are counted ({before} read so far)"
            raise guard.malformed(number, problem)

    first = await fetch(1)
    total = _nb_v2_total(first)
    if not first["data"]:
        await check_end(1, first, total)
        return
    guard.accept(1, first["data"], resource)
    yield first
    if last_page == 1:
        return
    # The empty page after the counted ones ends the walk: it is asked for with them.
    known_last = None if total is None else math.ceil(total / page_size) + 1
    window = _pages_ahead(client, concurrency)
    async with aclosing(_in_order(fetch, 2, known_last, window, last_page)) as pages:
        async for number, page in pages:
            if not page["data"]:
                await check_end(number, page, total)
                return
            guard.accept(number, page["data"], resource)
            yield page


def _link(links: Any, name: str) -> bool:
    return isinstance(links, dict) and bool(links.get(name))


def _nb_v2_total(page: Page) -> int | None:
    meta = page.get("meta")
    stats = meta.get("stats") if isinstance(meta, dict) else None
    total = stats.get("total") if isinstance(stats, dict) else None
    count = total.get("count") if isinstance(total, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


async def iter_nb_v1_pages(
    client: ApiClient,
    path: str,
    limit: int = NB_V1_MAX_LIMIT,
    resource: str | None = None,
) -> AsyncGenerator[Page, None]:
    """Yields the pages of an NB v1 nonce-paged endpoint by following its `next` paths.

    Sample page (``GET /api/v1/lists/11/people?limit=2``)::

        {"next": "/api/v1/lists/11/people?__nonce=3OUjEzI6&__token=ADGvBW9w",
         "prev": null,
         "results": [{"id": 9148, "first_name": "Jesse", ...}, {"id": 15232, ...}]}

    Each `next` is only known from the page before it, so paging is sequential. It ends when
    `next` is null or `results` is empty; `limit` is added to a `next` path that lacks it.
    """
    _require_range("limit", limit, NB_V1_MAX_LIMIT)
    guard = _PageGuard(client, path)
    target: str | None = path
    number = 1
    while target is not None:
        query = None if "limit" in URL(target).query else {"limit": limit}
        page = guard.require_dict(number, await client.get_json(target, query, resource=resource))
        results = guard.require_list(number, page.get("results"), "results")
        if not results:
            if page.get("next"):
                raise guard.malformed(number, "no results, yet it links a next page")
            return
        guard.accept(number, results, resource)
        yield page
        target = page.get("next")
        if target is not None:
            if not isinstance(target, str):
                raise guard.malformed(number, f"'next' is not a string: {type(target).__name__}")
            guard.follow(number, target)
        number += 1


async def iter_hal_pages(
    client: ApiClient,
    path: str,
    params: Params | None,
    embedded_key: str,
    concurrency: int | None = None,
    resource: str | None = None,
    *,
    per_page: int = HAL_MAX_PER_PAGE,
    first_page: int = 1,
    last_page: int | None = None,
) -> AsyncGenerator[Page, None]:
    """Yields the non-empty pages of an Action Network collection, in page order.

    Sample page (``GET /api/v2/people?page=1&per_page=25``)::

        {"total_pages": 88, "per_page": 25, "page": 1, "total_records": 2188,
         "_links": {"next": {"href": "https://actionnetwork.org/api/v2/people?page=2"},
                    "osdi:people": [{"href": "..."}], "self": {"href": "..."}},
         "_embedded": {"osdi:people": [{"identifiers": ["action_network:d91b..."], ...}]}}

    The end is an empty or missing `_embedded[embedded_key]` (see `check_end` for when an empty
    page is a broken answer instead, which would otherwise drop every later row without a word),
    or a page without `_links.next`.
    Records are read from `_embedded` only (its key can differ from the `_links` one:
    attendances are `osdi:attendance` in `_links` but `osdi:attendances` in `_embedded`).
    Pages are requested by `page=` number, never by following `next`, so a next link naming
    another host is never fetched. With `total_pages`, pages 2..total_pages are fetched
    `concurrency` at a time (by default as the client's measured latency needs) and
    total_pages+1 only if the last page still links `next`; without it (AN `people`, which
    links `next` even from its last page) a window of that many pages
    is read ahead and the first empty page ends the collection.
    `first_page` and `last_page` read one stretch of the collection (a chunk of a long load that
    resumes): nothing after `last_page` is requested.
    """
    _require_range("per_page", per_page, HAL_MAX_PER_PAGE)
    _require_range("first_page", first_page)
    _require_range("concurrency", concurrency)
    guard = _PageGuard(client, path)
    base = {**(params or {}), "per_page": per_page}

    async def fetch(number: int) -> Page:
        query = {**base, "page": number}
        return guard.require_dict(number, await client.get_json(path, query, resource=resource))

    async def check_end(number: int, page: Page) -> None:
        """An empty page ends the walk unless something says rows remain: its `next` link or
        `total_records` (counted as this very page was served), or, for a collection without
        totals (whose `next` is always there), records on the page after it."""
        before = (number - 1) * per_page
        if _total_pages(page) is None and "total_records" not in page:
            if _hal_records(guard, number + 1, await fetch(number + 1), embedded_key):
                raise guard.malformed(number, f"no records, yet page {number + 1} has some")
            return
        if _has_next(page):
            raise guard.malformed(number, "no records, yet it links a next page")
        total = page.get("total_records")
        if isinstance(total, int) and not isinstance(total, bool) and total > before:
            raise guard.malformed(number, f"no records, yet it counts {total} ({before} read)")

    first = await fetch(first_page)
    found = _hal_records(guard, first_page, first, embedded_key)
    if not found:
        await check_end(first_page, first)
        return
    guard.accept(first_page, found, resource)
    yield first
    if not _has_next(first) or first_page == last_page:
        return
    window = _pages_ahead(client, concurrency)
    ordered = _in_order(fetch, first_page + 1, _total_pages(first), window, last_page)
    async with aclosing(ordered) as pages:
        async for number, page in pages:
            found = _hal_records(guard, number, page, embedded_key)
            if not found:
                await check_end(number, page)
                return
            guard.accept(number, found, resource)
            yield page
            if not _has_next(page):
                return


def _hal_records(guard: _PageGuard, number: int, page: Page, key: str) -> list[Any]:
    embedded = page.get("_embedded")
    if embedded is None:
        return []
    if not isinstance(embedded, dict):
        raise guard.malformed(number, f"'_embedded' is not an object: {type(embedded).__name__}")
    return guard.require_list(number, embedded.get(key, []), f"_embedded.{key}")


def _has_next(page: Page) -> bool:
    links = page.get("_links")
    return isinstance(links, dict) and bool(links.get("next"))


def _total_pages(page: Page) -> int | None:
    total = page.get("total_pages")
    return total if isinstance(total, int) and not isinstance(total, bool) else None
