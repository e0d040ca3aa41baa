"""The HTTP layer against the API simulator: full speed under its rate limits, every record
exactly once through every fault it injects, and fatal errors as one line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from sources.action_network.client import action_network_settings
from sources.http import ApiClient, ApiSettings, FatalHttpError, iter_hal_pages, iter_nb_v2_pages
from sources.nationbuilder.client import nationbuilder_settings

NB_TOKEN = "nb-test-token"
AN_KEY = "an-test-key"
# Only the collection a test walks is large.
QUIET = {"nb_signups": 50, "nb_donations": 5, "nb_lists": 2, "an_people": 20, "an_actions": 10}
EVERY_FAULT = {
    "http_500": 0.05,
    "http_502": 0.05,
    "http_503": 0.05,
    "reset": 0.03,
    "truncate": 0.03,
    "stall": 0.02,
}


@contextmanager
def simulator(**settings: Any) -> Iterator[RunningSimulator]:
    with serve_in_thread(SimConfig(**{**QUIET, **settings})) as running:
        yield running


def control(sim: RunningSimulator, path: str) -> Any:
    with urllib.request.urlopen(sim.url + path, timeout=60) as response:
        return json.loads(response.read())


def nb_truth_ids(sim: RunningSimulator, collection: str) -> list[int]:
    ids: list[int] = control(sim, "/_sim/truth")["nationbuilder"][collection]["ids"]
    return ids


def an_truth_ids(sim: RunningSimulator, collection: str) -> list[str]:
    ids: list[str] = control(sim, "/_sim/truth")["action_network"][collection]["ids"]
    return ids


async def walk_nb(
    settings: ApiSettings, path: str, page_size: int, concurrency: int = 8
) -> tuple[list[int], ApiClient]:
    """Every id of an NB v2 collection, and the client (for its stats)."""
    async with ApiClient(settings) as client:
        ids = [
            int(record["id"])
            async for page in iter_nb_v2_pages(
                client, path, {"sort": "id"}, page_size=page_size, concurrency=concurrency
            )
            for record in page["data"]
        ]
        return ids, client


async def walk_an_people(
    settings: ApiSettings, per_page: int, concurrency: int = 8
) -> tuple[list[str], ApiClient]:
    async with ApiClient(settings) as client:
        ids = [
            next(i for i in person["identifiers"] if i.startswith("action_network:"))
            async for page in iter_hal_pages(
                client, "/people", None, "osdi:people", concurrency, per_page=per_page
            )
            for person in page["_embedded"]["osdi:people"]
        ]
        return ids, client


# ---- full speed, no 429 ----------------------------------------------------------------------
def test_nb_walk_runs_at_the_configured_rate_without_a_429() -> None:
    """NB allows 50 per 1 s window here; the client runs at 50/s with bursts of 10, pages
    overlapping at the server. (The share of the limit it reaches is `make bench`'s figure.)"""
    with simulator(nb_signups=4_000, latency_ms=20, nb_rate_limit=50, nb_rate_window_s=1.0) as sim:
        settings = nationbuilder_settings(sim.nationbuilder_url, NB_TOKEN, rate=50, burst=10)
        ids, client = asyncio.run(walk_nb(settings, "/api/v2/signups", page_size=25))
        stats = control(sim, "/_sim/stats")
        assert ids == nb_truth_ids(sim, "signups")
    assert stats["throttled"] == {}
    assert client.stats.total.responses_429 == 0
    requests = stats["requests"]["nationbuilder"]
    assert requests == client.stats.total.requests == 4_000 // 25 + 1
    assert stats["max_in_flight"]["nationbuilder"] > 1


def test_an_walk_runs_at_the_configured_rate_without_a_429() -> None:
    """AN's bucket here: 20/s with bursts of 20; the client runs at 20/s without bursts (AN's
    default). A client burst as large as the server's empties both buckets at once, and then
    arrival jitter alone draws 429s (7 in 150 requests when tried). With 100 ms latency the
    rate needs two requests in flight, and the server sees them."""
    with simulator(an_people=1_500, latency_ms=100, an_rate_per_s=20, an_burst=20) as sim:
        settings = action_network_settings(sim.action_network_url, AN_KEY, rate=20, max_in_flight=8)
        ids, client = asyncio.run(walk_an_people(settings, per_page=10))
        stats = control(sim, "/_sim/stats")
        assert sorted(ids) == an_truth_ids(sim, "people")
    assert len(ids) == len(set(ids)) == 1_500
    assert stats["throttled"] == {}
    assert client.stats.total.responses_429 == 0
    requests = stats["requests"]["action_network"]
    assert requests == client.stats.total.requests
    assert stats["max_in_flight"]["action_network"] > 1


# ---- every fault at once ---------------------------------------------------------------------
def _faulty(settings: ApiSettings) -> ApiSettings:
    """Quick retries, and a read timeout well under the simulator's stall."""
    return dataclasses.replace(settings, read_timeout=0.5, backoff_base=0.05, backoff_cap=0.5)


def test_nb_every_record_exactly_once_through_every_fault() -> None:
    with simulator(
        nb_signups=4_000, rate_limits=False, faults=EVERY_FAULT, stall_seconds=1.5
    ) as sim:
        settings = _faulty(nationbuilder_settings(sim.nationbuilder_url, NB_TOKEN, rate=1000))
        ids, client = asyncio.run(walk_nb(settings, "/api/v2/signups", page_size=25))
        faults = control(sim, "/_sim/stats")["faults"]
        assert ids == nb_truth_ids(sim, "signups")  # in order, none twice, none missing
    injected = sum(n for kind, n in faults.items() if kind.startswith("nationbuilder:"))
    assert injected >= 10, faults
    assert len({kind for kind in faults if kind.startswith("nationbuilder:")}) >= 4, faults
    # (a fault on a page fetched ahead and then cancelled is never seen, so not retried)
    assert client.stats.total.retries >= injected // 2
    assert client.stats.total.records == 4_000


def test_an_every_record_exactly_once_through_every_fault() -> None:
    with simulator(
        an_people=1_000, rate_limits=False, faults=EVERY_FAULT, stall_seconds=1.5
    ) as sim:
        settings = _faulty(
            action_network_settings(sim.action_network_url, AN_KEY, rate=1000, max_in_flight=8)
        )
        ids, client = asyncio.run(walk_an_people(settings, per_page=10))
        faults = control(sim, "/_sim/stats")["faults"]
        assert sorted(ids) == an_truth_ids(sim, "people")
    assert len(ids) == len(set(ids)) == 1_000
    injected = sum(n for kind, n in faults.items() if kind.startswith("action_network:"))
    assert injected >= 5, faults
    assert client.stats.total.retries >= injected // 2
    assert client.stats.total.records == 1_000


# ---- fatal errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v2/no_such_collection", {}, 404, "not_found"),
        ("/api/v2/signups", {"filter[no_such_attribute]": "1"}, 400, "invalid_filter"),
        ("/api/v2/signups", {"sort": "favorite_color"}, 400, "invalid_sort"),
    ],
)
def test_nb_fatal_error_is_one_line_naming_method_path_status_code(
    path: str, params: dict[str, str], status: int, code: str
) -> None:
    async def walk(settings: ApiSettings) -> None:
        async with ApiClient(settings) as client:
            async for _ in iter_nb_v2_pages(client, path, params):
                pass

    with simulator(rate_limits=False) as sim:
        settings = nationbuilder_settings(sim.nationbuilder_url, NB_TOKEN, rate=1000)
        with pytest.raises(FatalHttpError) as caught:
            asyncio.run(walk(settings))
        requests = control(sim, "/_sim/stats")["requests"]["nationbuilder"]
    message = str(caught.value)
    assert requests == 1, "a fatal error is not retried"
    assert "\n" not in message
    assert message.startswith(f"nationbuilder: GET /nationbuilder{path}?"), message
    assert f"-> {status} {code}" in message
    assert NB_TOKEN not in message
    assert (caught.value.method, caught.value.status, caught.value.code) == ("GET", status, code)


def test_an_fatal_error_is_one_line_naming_method_path_status() -> None:
    async def walk(settings: ApiSettings) -> None:
        async with ApiClient(settings) as client:
            async for _ in iter_hal_pages(client, "/no_such_collection", None, "osdi:people"):
                pass

    with simulator(rate_limits=False) as sim:
        settings = action_network_settings(sim.action_network_url, AN_KEY, rate=1000)
        with pytest.raises(FatalHttpError) as caught:
            asyncio.run(walk(settings))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("action_network: GET /action_network/api/v2/no_such_collection")
    assert "-> 404" in message
    assert AN_KEY not in message
