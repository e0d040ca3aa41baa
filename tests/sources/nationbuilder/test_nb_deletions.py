"""The deletion sweep against the simulator, and how found deletions are stamped in DuckDB."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import pyarrow as pa
import pytest
from nb_helpers import FAST, NB_TOKEN, mutate, simulator, truth

from simulator.server import RunningSimulator
from sources.http import ApiClient
from sources.nationbuilder.client import nationbuilder_settings
from sources.nationbuilder.deletions import DeletionSweep, bisect_cost


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with simulator(**FAST) as running:
        yield running


def _sweep(sim: RunningSimulator, collection: str, known: list[int]) -> tuple[list[int], int]:
    """(ids found gone, requests it took)."""

    async def go() -> tuple[list[int], int]:
        settings = nationbuilder_settings(sim.nationbuilder_url, NB_TOKEN, rate=1000, burst=100)
        async with ApiClient(settings) as client:
            sweep = DeletionSweep(client, f"/api/v2/{collection}", collection, "t")
            gone = await sweep.run(pa.array(sorted(known), pa.int64()))
            return gone, client.stats.total.requests

    return asyncio.run(go())


def test_no_deletion_costs_one_count(sim: RunningSimulator) -> None:
    known = truth(sim)["signups"]["ids"]
    assert _sweep(sim, "signups", known) == ([], 1)


def test_nothing_known_costs_nothing(sim: RunningSimulator) -> None:
    assert _sweep(sim, "signups", []) == ([], 0)


def test_one_deletion_is_found_by_bisection(sim: RunningSimulator) -> None:
    before = truth(sim)
    mutate(sim, 0.002)  # deletes one signup (and its donations, taggings, ...)
    gone = truth(sim)["deleted"]
    assert len(gone["signups"]) == 1
    for collection in ("signups", "donations", "signup_taggings"):
        known = before[collection]["ids"]
        found, requests = _sweep(sim, collection, known)
        assert found == sorted(set(gone.get(collection, [])) & set(known)), collection
        pages = math.ceil(len(known) / 100)
        assert requests <= pages + 1, (collection, requests)
        if len(found) == 1:  # one count per halving down to a page: far below a listing
            assert requests <= math.ceil(math.log2(pages)) + 2, (collection, requests)


def test_many_deletions_cost_at_most_one_id_listing(sim: RunningSimulator) -> None:
    before = truth(sim)
    mutate(sim, 0.1)  # 60 signups deleted, scattered
    gone = truth(sim)["deleted"]
    for collection in ("signups", "donations", "event_rsvps"):
        known = before[collection]["ids"]
        found, requests = _sweep(sim, collection, known)
        # (a donation added and deleted by the same mutation was never known)
        assert found == sorted(set(gone[collection]) & set(known)), collection
        assert requests <= math.ceil(len(known) / 100) + 1, (collection, requests)


def test_known_ids_the_api_never_had_are_reported(sim: RunningSimulator) -> None:
    ids = truth(sim)["paths"]["ids"]
    known = sorted([*ids, max(ids) + 7])  # e.g. a row whose deletion the last run missed
    assert _sweep(sim, "paths", known)[0] == [max(ids) + 7]


def test_listing_that_comes_back_short_is_recounted(sim: RunningSimulator) -> None:
    """Rows deleted while a range is paged shift later rows onto pages already read: the
    listing then disagrees with the count, so it counts and reads again instead of calling the
    skipped rows deleted."""
    ids = truth(sim)["signups"]["ids"]

    async def go() -> tuple[set[int], int]:
        settings = nationbuilder_settings(sim.nationbuilder_url, NB_TOKEN, rate=1000, burst=100)
        async with ApiClient(settings) as client:
            sweep = DeletionSweep(client, "/api/v2/signups", "signups", "t")
            # A stale count, as if one row went away between counting and paging.
            found = await sweep.list_range(ids[0], ids[-1] + 1, len(ids) + 1)
            return found, client.stats.total.requests

    found, requests = asyncio.run(go())
    assert found == set(ids)
    pages = math.ceil(len(ids) / 100)
    assert requests <= 2 * pages + 2


@pytest.mark.parametrize(("known", "missing"), [(3_000, 1), (3_000, 12), (600, 2), (51_000, 200)])
def test_bisection_is_chosen_only_when_cheaper(known: int, missing: int) -> None:
    listing = math.ceil(known / 100)
    cost = bisect_cost(known, missing)
    assert cost >= missing  # every lost row needs at least its own range read
    if missing == 1:
        assert cost <= math.ceil(math.log2(listing)) + 1
    if missing >= 0.003 * known:  # dense: most pages lost a row
        assert cost >= 0.9 * listing
