"""Fetch rate of the HTTP layer against each API's limit, next to plain sequential paging.

Both walk the same collections of the simulator with 150 ms latency and its rate limits on:
NationBuilder signups (v2 page numbers, 100 a page) and Action Network people (HAL, 25 a page,
no totals). "Sequential" is what existing tools do: one request at a time, following `next`,
waiting out 429s; it uses the same client (retries included) with no throttle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from bench.simproc import sim_json, simulator_process
from sources.action_network.client import action_network_settings
from sources.http import ApiClient, iter_hal_pages, iter_nb_v2_pages
from sources.nationbuilder.client import nationbuilder_settings

LATENCY_MS = 150
NB_LIMIT_PER_S = 25.0  # 250 requests / 10 s
AN_LIMIT_PER_S = 4.0


async def _walk_layer(client: ApiClient, api: str) -> int:
    records = 0
    if api == "nationbuilder":
        async for page in iter_nb_v2_pages(client, "/api/v2/signups", {}, concurrency=8):
            records += len(page["data"])
    else:
        async for page in iter_hal_pages(
            client, "people", {}, embedded_key="osdi:people", concurrency=4
        ):
            records += len(page["_embedded"]["osdi:people"])
    return records


async def _walk_sequential(client: ApiClient, api: str) -> int:
    records = 0
    if api == "nationbuilder":
        number = 1
        while True:
            page = await client.get_json(
                "/api/v2/signups", {"page[size]": 100, "page[number]": number}
            )
            if not page["data"]:
                return records
            records += len(page["data"])
            number += 1
    target: str | None = "people"
    while target:
        page = await client.get_json(target)
        found = page.get("_embedded", {}).get("osdi:people", [])
        if not found:
            return records
        records += len(found)
        target = page.get("_links", {}).get("next", {}).get("href")
    return records


def _measure(url: str, api: str, mode: str) -> dict[str, Any]:
    if api == "nationbuilder":
        settings = nationbuilder_settings(url + "/nationbuilder", "nb-test-token")
        limit = NB_LIMIT_PER_S
    else:
        settings = action_network_settings(url + "/action_network/api/v2", "an-test-key")
        limit = AN_LIMIT_PER_S
    if mode == "sequential":
        settings = dataclasses.replace(settings, rate=1000.0, burst=1000, max_in_flight=1)
    before = sim_json(url, "/_sim/stats")

    async def walk() -> int:
        async with ApiClient(settings) as client:
            walker = _walk_layer if mode == "layer" else _walk_sequential
            return await walker(client, api)

    started = time.perf_counter()
    records = asyncio.run(walk())
    seconds = time.perf_counter() - started
    after = sim_json(url, "/_sim/stats")
    requests = after["requests"].get(api, 0) - before["requests"].get(api, 0)
    throttled = after["throttled"].get(api, 0) - before["throttled"].get(api, 0)
    return {
        "api": api,
        "mode": mode,
        "records": records,
        "requests": requests,
        "responses_429": throttled,
        "seconds": round(seconds, 2),
        "requests_per_s": round(requests / seconds, 2),
        "records_per_s": round(records / seconds, 1),
        "limit_requests_per_s": limit,
        "share_of_limit": round(requests / seconds / limit, 3),
    }


def run_fetch_bench(nb_signups: int = 15_000, an_people: int = 1_000) -> list[dict[str, Any]]:
    """One simulator per measurement, so each starts with a fresh rate-limit window."""
    results = []
    for api in ("nationbuilder", "action_network"):
        for mode in ("layer", "sequential"):
            args = [
                "--latency-ms",
                str(LATENCY_MS),
                "--nb-signups",
                str(nb_signups),
                "--an-people",
                str(an_people),
                "--nb-donations",
                "10",
                "--an-actions",
                "10",
            ]
            with simulator_process(*args) as url:
                results.append(_measure(url, api, mode))
    return results
