"""A nation of 100,000 signups: start-up time and the cost of serving a deep page."""

from __future__ import annotations

import statistics
import time

import orjson

from simulator.nb_render import resource_object
from simulator.server import serve_in_thread
from simulator.settings import SimConfig
from tests.simulator.helpers import nb_get, nb_ids


def test_hundred_thousand_signups_start_and_serve_deep_pages_fast() -> None:
    started = time.perf_counter()
    with serve_in_thread(SimConfig(nb_signups=100_000, rate_limits=False)) as sim:
        startup = time.perf_counter() - started
        assert startup < 10, f"start-up took {startup:.1f} s"

        params = {"page[size]": 100, "page[number]": 1000, "stats[total]": "count"}
        first = nb_get(sim, "/api/v2/signups", params)  # builds and caches the sorted view
        body = first.json()
        assert nb_ids(body["data"]) == list(range(99_901, 100_001))
        assert body["meta"]["stats"]["total"]["count"] == 100_000
        assert nb_get(sim, body["links"]["next"]).json()["data"] == []

        timings = [nb_get(sim, "/api/v2/signups", params).elapsed for _ in range(10)]
        median = statistics.median(timings)
        assert median < 0.05, f"page 1000 took {median * 1000:.1f} ms (median round trip)"
        deep = {"page[size]": 100, "page[number]": 999, "sort": "-updated_at"}
        nb_get(sim, "/api/v2/signups", deep)
        assert (
            statistics.median(nb_get(sim, "/api/v2/signups", deep).elapsed for _ in range(5)) < 0.05
        )


def test_rendering_a_100_row_page_is_cheap() -> None:
    """The per-page work without HTTP: JSON:API objects for 100 full signups, serialized."""
    from simulator.store import Store

    store = Store(SimConfig(nb_signups=2_000))
    rows = list(store.nation.signups.values())[:100]
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        orjson.dumps({"data": [resource_object("signups", row, None) for row in rows]})
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02, f"{statistics.median(timings) * 1000:.1f} ms"
