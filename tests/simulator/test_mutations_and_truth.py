"""A day of activity (`/_sim/mutate`), incremental reads after it, the truth, and determinism."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.simulator.helpers import an_id, iso_utc, nb_ids, walk_an, walk_nb
from tests.support.simulator import TINY, control, nb_get, truth

INCREMENTAL = ("signups", "donations", "event_rsvps", "memberships", "petition_signatures")


def snapshot(sim: RunningSimulator, resource: str) -> dict[int, str]:
    walk = walk_nb(sim, f"/api/v2/{resource}", {"page[size]": 100})
    return {int(r["id"]): r["attributes"]["updated_at"] for r in walk.records}


@pytest.fixture(scope="module")
def mutated() -> Iterator[dict[str, Any]]:
    """One simulator, read in full, mutated once, with everything a test needs to compare."""
    with serve_in_thread(SimConfig(rate_limits=False)) as sim:
        before_truth = truth(sim)
        before = {resource: snapshot(sim, resource) for resource in INCREMENTAL}
        people_before = {an_id(r): r for r in walk_an(sim, "/people", "people").records}
        since = math.floor(time.time())
        summary = control(sim, "/_sim/mutate", {"fraction": 0.05})
        yield {
            "sim": sim,
            "since": since,
            "summary": summary,
            "before": before,
            "before_truth": before_truth,
            "after_truth": truth(sim),
            "people_before": people_before,
        }


def test_mutate_summary_shape(mutated: dict[str, Any]) -> None:
    summary = mutated["summary"]
    signups = summary["nationbuilder"]["signups"]
    assert signups["updated"] == signups["added"] == 100  # 5% of 2000
    assert signups["deleted"] == 2  # deletions default to a fiftieth of the churn: 0.1%
    assert summary["action_network"]["people"] == {"updated": 50, "added": 50}


@pytest.mark.parametrize("resource", INCREMENTAL)
def test_incremental_walk_returns_exactly_the_changed_rows(
    mutated: dict[str, Any], resource: str
) -> None:
    sim: RunningSimulator = mutated["sim"]
    before: dict[int, str] = mutated["before"][resource]
    after = snapshot(sim, resource)
    changed = {i for i, stamp in after.items() if before.get(i) != stamp}
    params = {"page[size]": 100, "filter[updated_at][gte]": iso_utc(mutated["since"])}
    walk = walk_nb(sim, f"/api/v2/{resource}", params)
    ids = nb_ids(walk.records)
    assert len(ids) == len(set(ids))
    assert set(ids) == changed
    assert changed, "the mutation touched this resource"
    assert set(after) == set(mutated["after_truth"]["nationbuilder"][resource]["ids"])
    if resource == "signups":
        summary = mutated["summary"]["nationbuilder"]["signups"]
        added = set(after) - set(before)
        assert len(added) == summary["added"]
        updated_kept = changed - added
        assert summary["updated"] - summary["deleted"] <= len(updated_kept) <= summary["updated"]
    counted = nb_get(sim, f"/api/v2/{resource}", {**params, "stats[total]": "count"}).json()
    assert counted["meta"]["stats"]["total"]["count"] == len(changed)


def test_truth_reflects_deletions(mutated: dict[str, Any]) -> None:
    before, after = (
        mutated["before_truth"]["nationbuilder"],
        mutated["after_truth"]["nationbuilder"],
    )
    deleted = after["deleted"]
    assert len(deleted["signups"]) == mutated["summary"]["nationbuilder"]["signups"]["deleted"]
    for resource, ids in deleted.items():
        assert ids, resource
        assert not set(ids) & set(after[resource]["ids"]), f"{resource} deleted ids still live"
    assert set(deleted["signups"]) <= set(before["signups"]["ids"])
    # Deleting a signup deletes what belongs to it; nothing live points at a deleted signup.
    sim: RunningSimulator = mutated["sim"]
    gone = set(deleted["signups"])
    for resource in ("donations", "signup_taggings", "memberships", "petition_signatures"):
        walk = walk_nb(sim, f"/api/v2/{resource}", {"page[size]": 100})
        assert not {int(r["attributes"]["signup_id"]) for r in walk.records} & gone, resource
    for list_id, signup_id in after["list_signups"]["pairs"]:
        assert signup_id not in gone, list_id
    # The truth reflects additions too.
    added = mutated["summary"]["nationbuilder"]["signups"]["added"]
    assert after["signups"]["count"] == before["signups"]["count"] + added - len(gone)


def test_deleted_records_are_gone_from_the_api(mutated: dict[str, Any]) -> None:
    sim: RunningSimulator = mutated["sim"]
    for signup_id in mutated["after_truth"]["nationbuilder"]["deleted"]["signups"][:5]:
        assert nb_get(sim, f"/api/v2/signups/{signup_id}").status == 404


def test_incremental_action_network_people(mutated: dict[str, Any]) -> None:
    sim: RunningSimulator = mutated["sim"]
    after = {an_id(r): r for r in walk_an(sim, "/people", "people").records}
    changed = {
        key
        for key, record in after.items()
        if key not in mutated["people_before"]
        or mutated["people_before"][key]["modified_date"] != record["modified_date"]
    }
    since = iso_utc(mutated["since"] - 1)
    got = walk_an(sim, "/people", "people", {"filter": f"modified_date gt '{since}'"})
    assert {an_id(r) for r in got.records} == changed
    assert len(changed) == 100  # 50 updated + 50 added
    assert sorted(after) == mutated["after_truth"]["action_network"]["people"]["ids"]


def test_analytics_truth(mutated: dict[str, Any]) -> None:
    for state in ("before_truth", "after_truth"):
        full = mutated[state]
        analytics = full["analytics"]
        nb = full["nationbuilder"]["signups"]["count"]
        an = full["action_network"]["people"]["count"]
        assert 0 < analytics["people_in_both"] <= min(nb, an)
        assert max(nb, an) <= analytics["people_total"] <= nb + an
        assert analytics["donations_count"] == {
            "nationbuilder": full["nationbuilder"]["donations"]["count"],
            "action_network": full["action_network"]["donations"]["count"],
        }
        assert (
            analytics["donations_cents"]["nationbuilder"]
            == full["nationbuilder"]["donations"]["sum_cents"]
        )


def test_mutated_signup_taggings_stay_unique(mutated: dict[str, Any]) -> None:
    walk = walk_nb(mutated["sim"], "/api/v2/signup_taggings", {"page[size]": 100})
    pairs = [(r["attributes"]["signup_id"], r["attributes"]["tag_id"]) for r in walk.records]
    assert len(pairs) == len(set(pairs)), "a signup carries each tag once"


def test_mutated_donations_stay_consistent(mutated: dict[str, Any]) -> None:
    walk = walk_nb(mutated["sim"], "/api/v2/donations", {"page[size]": 100})
    for record in walk.records:
        attrs = record["attributes"]
        assert (attrs["status"] == "succeeded") == (attrs["succeeded_at"] is not None), record


def test_same_seed_same_truth() -> None:
    config = {**TINY, "rate_limits": False}
    with (
        serve_in_thread(SimConfig(seed=7, **config)) as one,
        serve_in_thread(SimConfig(seed=7, **config)) as two,
        serve_in_thread(SimConfig(seed=8, **config)) as other,
    ):
        assert truth(one) == truth(two)
        assert truth(one) != truth(other)
        page_one = nb_get(one, "/api/v2/signups", {"page[size]": 100}).json()
        page_two = nb_get(two, "/api/v2/signups", {"page[size]": 100}).json()
        assert page_one == page_two
        control(one, "/_sim/mutate", {"fraction": 0.1})
        control(two, "/_sim/mutate", {"fraction": 0.1})
        assert truth(one) == truth(two)  # mutations are seeded as well


def test_reset_regenerates_from_settings() -> None:
    with serve_in_thread(SimConfig(seed=7, rate_limits=False, **TINY)) as sim:
        first = truth(sim)
        control(sim, "/_sim/mutate", {"fraction": 0.2})
        assert truth(sim) != first
        control(sim, "/_sim/reset")
        assert truth(sim) == first
        control(sim, "/_sim/reset", {"nb_signups": 80})
        assert truth(sim)["nationbuilder"]["signups"]["count"] == 80
        assert control(sim, "/_sim/config")["nb_signups"] == 80
        walk = walk_nb(sim, "/api/v2/signups", {"page[size]": 100})
        assert len(walk.records) == 80
