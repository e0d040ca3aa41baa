"""Paginators against real loopback servers: end conditions, faults, loops, malformed pages."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from typing import Any

import pytest
from aiohttp import web
from http_fakes import (
    AN_PREFIX,
    NB_PREFIX,
    TOKEN,
    Faults,
    HalServer,
    NbV1Server,
    NbV2Server,
    an_people,
    fast_settings,
    nb_signups,
    single_route,
)

from sources.http import (
    ApiClient,
    MalformedPageError,
    PaginationLoopError,
    iter_hal_pages,
    iter_nb_v1_pages,
    iter_nb_v2_pages,
)
from tests.support.servers import serve

Pages = Callable[[ApiClient], AsyncGenerator[dict[str, Any], None]]

# One of every transient fault, spread over several pages.
MIXED_FAULTS = ["500", "reset,reset", "truncated", "502", "payload", "503", "429", "504"]


def _fault_plan(keys: list[Any]) -> Faults:
    plan: dict[Any, list[str]] = {}
    for key, fault in zip(keys, MIXED_FAULTS, strict=False):
        plan[key] = fault.split(",")
    return Faults(plan)


def _collect(app: web.Application, base_path: str, pages: Pages, **settings: Any) -> Any:
    async def run() -> tuple[list[dict[str, Any]], ApiClient]:
        async with serve(app) as origin:
            client = ApiClient(fast_settings(f"{origin}{base_path}", **settings))
            async with client:
                return [page async for page in pages(client)], client

    return asyncio.run(run())


def _an_settings() -> dict[str, Any]:
    return {"api": "action_network", "headers": {"OSDI-API-Token": TOKEN}}


def _nb_ids(pages: list[dict[str, Any]]) -> list[str]:
    return [record["id"] for page in pages for record in page["data"]]


def test_nb_v2_delivers_every_record_once_in_order_despite_faults() -> None:
    server = NbV2Server(nb_signups(250), faults=_fault_plan([2, 3, 5, 8, 9, 11, 12, 13]))
    server.latency = 0.01

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(
            client, "/api/v2/signups", page_size=20, concurrency=4, resource="signups"
        )

    got, client = _collect(server.app(), NB_PREFIX, pages)
    assert _nb_ids(got) == [str(i) for i in range(1, 251)]
    assert len(server.faults.injected) == 9
    assert server.max_in_flight > 1, "pages 2..N should be fetched concurrently"
    # 13 pages of data, then exactly one request for the empty page 14 that ends it.
    assert Counter(server.pages_requested)[14] == 1
    assert max(server.pages_requested) == 14
    assert client.stats.for_resource("signups").records == 250


def test_nb_v2_stops_on_empty_data_even_though_next_is_present() -> None:
    server = NbV2Server(nb_signups(45), count_supported=False)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(client, "/api/v2/signups", page_size=10, concurrency=3)

    got, _ = _collect(server.app(), NB_PREFIX, pages)
    assert _nb_ids(got) == [str(i) for i in range(1, 46)]
    assert all("next" in page["links"] for page in got)
    # Without a count, the read-ahead window may fetch a page or two past the empty one.
    assert 6 in server.pages_requested
    assert max(server.pages_requested) <= 8


def test_nb_v2_keeps_paging_past_the_counted_total_when_rows_are_added() -> None:
    server = NbV2Server(nb_signups(40), after_first_page=nb_signups(15, start=41))

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(client, "/api/v2/signups", page_size=10, concurrency=4)

    got, _ = _collect(server.app(), NB_PREFIX, pages)
    assert _nb_ids(got) == [str(i) for i in range(1, 56)]


def test_nb_v2_reads_one_stretch_of_pages_and_requests_nothing_past_its_last() -> None:
    server = NbV2Server(nb_signups(250))

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(client, "/api/v2/signups", page_size=20, concurrency=4, last_page=5)

    got, _ = _collect(server.app(), NB_PREFIX, pages)
    assert _nb_ids(got) == [str(i) for i in range(1, 101)]
    assert sorted(server.pages_requested) == [1, 2, 3, 4, 5], "no read-ahead past the stretch"


def test_nb_v2_with_no_records_yields_nothing() -> None:
    server = NbV2Server([])

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(client, "/api/v2/signups")

    got, _ = _collect(server.app(), NB_PREFIX, pages)
    assert got == []
    assert server.pages_requested == [1]


def test_nb_v2_detects_a_server_that_ignores_the_page_number() -> None:
    server = NbV2Server(nb_signups(30), ignore_page_number=True, count_supported=False)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(client, "/api/v2/signups", page_size=10, concurrency=2)

    with pytest.raises(PaginationLoopError) as caught:
        _collect(server.app(), NB_PREFIX, pages)
    assert "page 2: same records as an earlier page" in str(caught.value)


def test_malformed_nb_v2_page_names_path_page_and_problem() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": {"id": "1"}, "links": {}})

    app = single_route(f"{NB_PREFIX}/api/v2/signups", handler)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v2_pages(client, "/api/v2/signups")

    with pytest.raises(MalformedPageError) as caught:
        _collect(app, NB_PREFIX, pages)
    assert str(caught.value) == (
        "nationbuilder: GET /api/v2/signups -> malformed_page: "
        "page 1: 'data' is not a list (got dict)"
    )


def test_stopping_early_cancels_pages_still_in_flight() -> None:
    server = NbV2Server(nb_signups(200))
    server.latency = 0.05

    async def run() -> list[str]:
        async with serve(server.app()) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))
            async with client:
                pager = iter_nb_v2_pages(client, "/api/v2/signups", page_size=10, concurrency=5)
                ids: list[str] = []
                async for page in pager:
                    ids.extend(record["id"] for record in page["data"])
                    if len(ids) >= 20:
                        break
                await pager.aclose()
                return ids

    assert asyncio.run(run()) == [str(i) for i in range(1, 21)]
    assert max(server.pages_requested) <= 7


def test_nb_v1_follows_nonce_links_once_each_despite_faults() -> None:
    server = NbV1Server(nb_signups(230), faults=_fault_plan([0, 100, 200]))

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v1_pages(client, "/api/v1/lists/11/people", limit=100, resource="lists")

    got, client = _collect(server.app(), NB_PREFIX, pages)
    ids = [record["id"] for page in got for record in page["results"]]
    assert ids == [str(i) for i in range(1, 231)]
    assert set(server.limits_seen) == {100}
    assert got[-1]["next"] is None
    assert client.stats.total.records == 230


def test_nb_v1_detects_a_next_link_that_repeats_forever() -> None:
    server = NbV1Server(nb_signups(30), repeat_next=True)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_nb_v1_pages(client, "/api/v1/lists/11/people", limit=10)

    with pytest.raises(PaginationLoopError) as caught:
        _collect(server.app(), NB_PREFIX, pages)
    assert "page 2: next link repeats" in str(caught.value)
    assert "__token=***" in str(caught.value)
    assert TOKEN not in str(caught.value)


def _hal_ids(pages: list[dict[str, Any]], key: str = "osdi:people") -> list[str]:
    return [record["identifiers"][0] for page in pages for record in page["_embedded"][key]]


def test_hal_with_totals_fetches_every_page_once_and_not_past_the_last() -> None:
    server = HalServer(an_people(130), faults=_fault_plan([2, 3, 4, 5, 6]))

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_hal_pages(client, "people", None, "osdi:people", concurrency=3)

    got, client = _collect(server.app(), AN_PREFIX, pages, **_an_settings())
    assert _hal_ids(got) == [person["identifiers"][0] for person in an_people(130)]
    assert max(server.pages_requested) == 6, "the last page has no next link: stop there"
    assert client.stats.total.records == 130


def test_hal_without_totals_reads_ahead_and_stops_at_the_first_empty_page() -> None:
    server = HalServer(an_people(130), with_totals=False, faults=_fault_plan([3, 5, 7]))

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_hal_pages(client, "people", None, "osdi:people", concurrency=4)

    got, _ = _collect(server.app(), AN_PREFIX, pages, **_an_settings())
    assert _hal_ids(got) == [person["identifiers"][0] for person in an_people(130)]
    assert len(got) == 6
    assert 7 in server.pages_requested
    assert max(server.pages_requested) <= 10


def test_hal_reads_one_stretch_of_pages_and_requests_nothing_past_its_last() -> None:
    server = HalServer(an_people(250), with_totals=False)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_hal_pages(
            client, "people", None, "osdi:people", concurrency=4, first_page=3, last_page=6
        )

    got, _ = _collect(server.app(), AN_PREFIX, pages, **_an_settings())
    assert _hal_ids(got) == [person["identifiers"][0] for person in an_people(250)[50:150]]
    assert sorted(server.pages_requested) == [3, 4, 5, 6], "no read-ahead past the stretch"


def test_hal_reads_records_from_embedded_not_links() -> None:
    attendances = an_people(30)
    server = HalServer(attendances, embedded_key="osdi:attendances")

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_hal_pages(client, "people", None, "osdi:attendances")

    got, _ = _collect(server.app(), AN_PREFIX, pages, **_an_settings())
    assert len(_hal_ids(got, "osdi:attendances")) == 30


def test_hal_treats_a_missing_embedded_list_as_the_end() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = {"page": 1, "_links": {"next": {"href": str(request.url)}}}
        return web.json_response(body)

    app = single_route(f"{AN_PREFIX}/people", handler)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_hal_pages(client, "people", None, "osdi:people")

    got, _ = _collect(app, AN_PREFIX, pages, **_an_settings())
    assert got == []


def test_hal_detects_a_server_that_ignores_the_page_parameter() -> None:
    server = HalServer(an_people(60), with_totals=False, ignore_page=True)

    def pages(client: ApiClient) -> AsyncGenerator[dict[str, Any], None]:
        return iter_hal_pages(client, "people", None, "osdi:people", concurrency=2)

    with pytest.raises(PaginationLoopError):
        _collect(server.app(), AN_PREFIX, pages, **_an_settings())


def test_paginators_reject_page_sizes_beyond_the_api_maximum() -> None:
    client = ApiClient(fast_settings("http://127.0.0.1:9"))

    async def first(pages: AsyncGenerator[dict[str, Any], None]) -> None:
        await pages.__anext__()

    with pytest.raises(ValueError, match="page_size"):
        asyncio.run(first(iter_nb_v2_pages(client, "/api/v2/signups", page_size=101)))
    with pytest.raises(ValueError, match="per_page"):
        asyncio.run(first(iter_hal_pages(client, "people", None, "x", per_page=26)))
    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(first(iter_nb_v2_pages(client, "/api/v2/signups", concurrency=0)))
    with pytest.raises(ValueError, match="limit"):
        asyncio.run(first(iter_nb_v1_pages(client, "/api/v1/lists", limit=0)))
