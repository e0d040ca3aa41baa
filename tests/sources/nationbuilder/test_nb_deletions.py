"""The deletion sweep against the simulator, and how found deletions are stamped in DuckDB."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from nb_helpers import FAST, NB_TOKEN, mutate, simulator, truth

from simulator.server import RunningSimulator
from sources.http import ApiClient
from sources.nationbuilder.client import nationbuilder_settings
from sources.nationbuilder.deletions import DeletionSweep, bisect_cost
from warehouse.deletions import apply_deletions


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with simulator(**FAST) as running:
        yield running


def _sweep(sim: RunningSimulator, collection: str, known: list[int]) -> tuple[list[int], int]:
    """(ids found gone, requests it took)."""

    async def go() -> tuple[list[int], int]:
        settings = nationbuilder_settings(sim.nationbuilder_url, NB_TOKEN, rate=1000, burst=100)
        async with ApiClient(settings) as client:
            gone = await DeletionSweep(client, f"/api/v2/{collection}", collection, "t").run(known)
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


# ---- stamping what the sweep found ----------------------------------------------------------
def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema nb")
    con.execute("create table nb.signups (id bigint, deleted_at timestamptz)")
    con.execute("insert into nb.signups values (1, null), (2, null), (3, null)")
    con.execute(
        "create table nb.list_signups (list_id bigint, signup_id bigint, deleted_at timestamptz)"
    )
    con.execute("insert into nb.list_signups values (1, 1, null), (1, 2, null), (2, 1, null)")
    return con


def test_apply_deletions_marks_rows_and_records_them(tmp_path: Path) -> None:
    with _warehouse(tmp_path / "w.duckdb") as con:
        marked = apply_deletions(con, "nb", {"signups": ["2"], "list_signups": ["1:2", "9:9"]})
        assert marked == 2
        assert con.execute("select id from nb.signups where deleted_at is not null").fetchall() == [
            (2,)
        ]
        assert con.execute(
            "select list_id, signup_id from nb.list_signups where deleted_at is not null"
        ).fetchall() == [(1, 2)]
        records = con.execute(
            "select resource, id from nb.deleted_records order by 1, 2"
        ).fetchall()
        assert records == [("list_signups", "1:2"), ("list_signups", "9:9"), ("signups", "2")]
        # Found again (nothing new): no row changes, nothing counted twice.
        assert apply_deletions(con, "nb", {"signups": ["2"]}) == 0


def test_a_pair_that_leaves_twice_is_stamped_with_the_second_leaving(tmp_path: Path) -> None:
    with _warehouse(tmp_path / "w.duckdb") as con:
        apply_deletions(con, "nb", {"list_signups": ["1:2"]})
        (first,) = con.execute(
            "select deleted_at from nb.list_signups where list_id = 1 and signup_id = 2"
        ).fetchone() or (None,)
        # The person rejoins the list (the merge loads the pair live again), then leaves again.
        con.execute(
            "update nb.list_signups set deleted_at = null where list_id = 1 and signup_id = 2"
        )
        assert apply_deletions(con, "nb", {"list_signups": ["1:2"]}) == 1
        (second,) = con.execute(
            "select deleted_at from nb.list_signups where list_id = 1 and signup_id = 2"
        ).fetchone() or (None,)
        assert isinstance(first, datetime) and isinstance(second, datetime)
        assert second > first
        (logged,) = con.execute(
            "select deleted_at from nb.deleted_records where id = '1:2'"
        ).fetchone() or (None,)
        assert logged == second
