"""Plain sequential paging, what most tools do, as a child process: one request at a time.

`python -m bench.sequential nationbuilder|action_network` walks NationBuilder signups (v2 page
numbers, 100 a page, until the empty page) or Action Network people (HAL `next` links, 25 a page)
with the credentials the civic-etl CLI reads from the environment, and prints the records it
counted. It uses this project's client with no throttle and one request in flight, so retries
and waiting out 429s (Retry-After, and NB's RateLimit-Remaining) are included; it lands nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os

from sources.action_network.client import action_network_settings
from sources.http import ApiClient, ApiSettings
from sources.nationbuilder.client import nationbuilder_settings


def settings_from_env(api: str) -> ApiSettings:
    """The CLI's settings for `api`, unthrottled and one request at a time."""
    if api == "nationbuilder":
        settings = nationbuilder_settings(
            os.environ["SOURCES__NATIONBUILDER__BASE_URL"],
            os.environ["SOURCES__NATIONBUILDER__ACCESS_TOKEN"],
        )
    else:
        settings = action_network_settings(
            os.environ["SOURCES__ACTION_NETWORK__BASE_URL"],
            os.environ["SOURCES__ACTION_NETWORK__API_KEY"],
        )
    return dataclasses.replace(settings, rate=1000.0, burst=1000, max_in_flight=1)


async def walk_nationbuilder(client: ApiClient) -> int:
    records, number = 0, 1
    while True:
        page = await client.get_json("/api/v2/signups", {"page[size]": 100, "page[number]": number})
        if not page["data"]:
            return records
        records += len(page["data"])
        number += 1


async def walk_action_network(client: ApiClient) -> int:
    records = 0
    target: str | None = "people?per_page=25"
    while target:
        page = await client.get_json(target)
        found = page.get("_embedded", {}).get("osdi:people", [])
        if not found:
            return records
        records += len(found)
        target = page.get("_links", {}).get("next", {}).get("href")
    return records


async def walk(api: str) -> int:
    async with ApiClient(settings_from_env(api)) as client:
        if api == "nationbuilder":
            return await walk_nationbuilder(client)
        return await walk_action_network(client)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sequential")
    parser.add_argument("api", choices=("nationbuilder", "action_network"))
    args = parser.parse_args()
    print(json.dumps({"records": asyncio.run(walk(args.api))}))


if __name__ == "__main__":
    main()
