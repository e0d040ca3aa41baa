"""Walk every NationBuilder collection to its end by the documented rules and match the truth."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.server import RunningSimulator
from tests.simulator.helpers import NB_V2_RESOURCES, nb_ids, walk_nb, walk_nb_v1
from tests.support.simulator import nb_get

FOREIGN_KEYS = {
    "signup_id", "recruiter_id", "author_id", "page_id", "tag_id", "event_id", "petition_id",
    "path_id", "membership_type_id", "parent_id",
}  # fmt: skip


@pytest.mark.parametrize("resource", NB_V2_RESOURCES)
def test_v2_collection_walk_matches_truth(
    sim: RunningSimulator, sim_truth: dict[str, Any], resource: str
) -> None:
    walk = walk_nb(sim, f"/api/v2/{resource}", {"page[size]": 100})
    expected = sim_truth["nationbuilder"][resource]
    ids = nb_ids(walk.records)
    assert len(ids) == len(set(ids)), "no record twice"
    assert sorted(ids) == expected["ids"]
    assert len(ids) == expected["count"]
    for record in walk.records:
        assert record["type"] == resource
        assert isinstance(record["id"], str) and record["id"].isdigit()
        for key, value in record["attributes"].items():
            if key in FOREIGN_KEYS and value is not None:
                assert isinstance(value, str), f"{resource}.{key} should be a string id"


def test_v2_default_walk_uses_pages_of_20(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    walk = walk_nb(sim, "/api/v2/donations")
    count = sim_truth["nationbuilder"]["donations"]["count"]
    assert sorted(nb_ids(walk.records)) == sim_truth["nationbuilder"]["donations"]["ids"]
    assert [len(p["data"]) for p in walk.pages[:-1]] == [20] * (-(-count // 20))


def test_v2_donation_amounts_match_truth(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    walk = walk_nb(sim, "/api/v2/donations", {"page[size]": 100})
    total = sum(r["attributes"]["amount_in_cents"] for r in walk.records)
    assert total == sim_truth["nationbuilder"]["donations"]["sum_cents"]
    for record in walk.records:
        attrs = record["attributes"]
        assert attrs["amount"] == f"{attrs['amount_in_cents'] / 100:.2f}"


def test_v2_event_rsvps_carry_signup_as_relationship_only(sim: RunningSimulator) -> None:
    page = nb_get(sim, "/api/v2/event_rsvps", {"page[size]": 5}).json()
    for record in page["data"]:
        assert "signup_id" not in record["attributes"]
        assert record["relationships"]["signup"]["data"]["type"] == "signups"
        assert record["relationships"]["signup"]["data"]["id"].isdigit()


def test_v2_list_signups_for_every_list_match_truth_pairs(
    sim: RunningSimulator, sim_truth: dict[str, Any]
) -> None:
    pairs: list[list[int]] = []
    for list_id in sim_truth["nationbuilder"]["lists"]["ids"]:
        walk = walk_nb(sim, f"/api/v2/lists/{list_id}/signups", {"page[size]": 100})
        assert all(record["type"] == "signups" for record in walk.records)
        pairs.extend([list_id, signup_id] for signup_id in nb_ids(walk.records))
    expected = sim_truth["nationbuilder"]["list_signups"]
    assert sorted(pairs) == expected["pairs"]
    assert len(pairs) == expected["count"]


def test_v2_lists_signups_count_matches_members(
    sim: RunningSimulator, sim_truth: dict[str, Any]
) -> None:
    per_list: dict[int, int] = {}
    for list_id, _signup_id in sim_truth["nationbuilder"]["list_signups"]["pairs"]:
        per_list[list_id] = per_list.get(list_id, 0) + 1
    walk = walk_nb(sim, "/api/v2/lists", {"page[size]": 100})
    for record in walk.records:
        assert record["attributes"]["signups_count"] == per_list.get(int(record["id"]), 0)
    assert any(count == 0 for count in (r["attributes"]["signups_count"] for r in walk.records))


def test_v2_unknown_list_is_404(sim: RunningSimulator) -> None:
    reply = nb_get(sim, "/api/v2/lists/999999/signups")
    assert reply.status == 404
    assert reply.json()["code"] == "not_found"


def test_v1_lists_walk_matches_truth(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    walk = walk_nb_v1(sim, "/api/v1/lists")
    ids = [record["id"] for record in walk.records]
    assert sorted(ids) == sim_truth["nationbuilder"]["lists"]["ids"]
    assert all(len(page["results"]) == 10 for page in walk.pages[:-1])
    per_list: dict[int, int] = {}
    for list_id, _signup_id in sim_truth["nationbuilder"]["list_signups"]["pairs"]:
        per_list[list_id] = per_list.get(list_id, 0) + 1
    for record in walk.records:
        assert set(record) >= {"id", "name", "slug", "author_id", "count"}
        assert record["count"] == per_list.get(record["id"], 0)


def test_v1_list_people_for_every_list_match_truth_pairs(
    sim: RunningSimulator, sim_truth: dict[str, Any]
) -> None:
    pairs: list[list[int]] = []
    for list_id in sim_truth["nationbuilder"]["lists"]["ids"]:
        walk = walk_nb_v1(sim, f"/api/v1/lists/{list_id}/people", {"limit": 100})
        people = walk.records
        assert all(isinstance(person["id"], int) for person in people)  # v1 ids are integers
        pairs.extend([list_id, person["id"]] for person in people)
    assert sorted(pairs) == sim_truth["nationbuilder"]["list_signups"]["pairs"]
