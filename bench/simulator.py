"""How demanding the simulator can be: start-up at 100k signups, deep pages, full-page rendering.

These were once timed tests; timings belong here, where a busy machine changes a figure instead
of failing a build.
"""

from __future__ import annotations

import statistics
import time
import urllib.request
from typing import Any

import orjson

from simulator.nb_render import resource_object
from simulator.server import serve_in_thread
from simulator.settings import SimConfig
from simulator.store import Store

DEEP_PAGE = {"page[size]": "100", "page[number]": "1000", "stats[total]": "count"}


def _get_ms(url: str, token: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
    return (time.perf_counter() - started) * 1000


def run_simulator_bench(signups: int = 100_000) -> dict[str, Any]:
    started = time.perf_counter()
    config = SimConfig(nb_signups=signups, rate_limits=False)
    with serve_in_thread(config) as sim:
        startup = time.perf_counter() - started
        query = "&".join(f"{key}={value}" for key, value in DEEP_PAGE.items())
        url = f"{sim.nationbuilder_url}/api/v2/signups?{query}"
        _get_ms(url, config.nb_token)  # builds and caches the sorted view
        deep = statistics.median(_get_ms(url, config.nb_token) for _ in range(10))
    store = Store(SimConfig(nb_signups=2_000))
    rows = list(store.nation.signups.values())[:100]
    renders = []
    for _ in range(20):
        began = time.perf_counter()
        orjson.dumps({"data": [resource_object("signups", row, None) for row in rows]})
        renders.append((time.perf_counter() - began) * 1000)
    return {
        "signups": signups,
        "startup_s": round(startup, 2),
        "deep_page_ms_median": round(deep, 1),
        "render_100_signups_ms_median": round(statistics.median(renders), 2),
    }
