"""Walk every Action Network collection (top level and nested) to its end and match the truth."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.server import RunningSimulator
from tests.simulator.helpers import (
    AN_NESTED,
    AN_SINGULAR,
    AN_TOP_LEVEL,
    an_id,
    cents,
    href_uuid,
    walk_an,
)
from tests.support.simulator import an_get


def test_people_walk_matches_truth_with_the_live_paging_quirks(
    sim: RunningSimulator, sim_truth: dict[str, Any]
) -> None:
    walk = walk_an(sim, "/people", "people")
    ids = [an_id(record) for record in walk.records]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sim_truth["action_network"]["people"]["ids"]
    for page in walk.pages:
        assert "total_pages" not in page and "total_records" not in page  # people omit totals
        assert page["per_page"] == 25
    # next is linked from the last non-empty page; the walk ends on an empty _embedded.
    assert walk.pages[-1]["_embedded"]["osdi:people"] == []
    assert "next" not in walk.pages[-1]["_links"]
    assert "next" in walk.pages[-2]["_links"]
    assert len(walk.pages[-2]["_embedded"]["osdi:people"]) > 0


@pytest.mark.parametrize("collection", [c for c in AN_TOP_LEVEL if c != "people"])
def test_top_level_walk_matches_truth(
    sim: RunningSimulator, sim_truth: dict[str, Any], collection: str
) -> None:
    walk = walk_an(sim, f"/{collection}", collection, {"per_page": 2})
    expected = sim_truth["action_network"][collection]
    ids = [an_id(record) for record in walk.records]
    assert sorted(ids) == expected["ids"]
    for number, page in enumerate(walk.pages, start=1):
        assert page["total_records"] == expected["count"]
        assert page["total_pages"] == max(1, -(-expected["count"] // 2))
        assert page["page"] == number
    assert "next" not in walk.pages[-1]["_links"]
    assert len(walk.pages) == walk.pages[0]["total_pages"]


@pytest.mark.parametrize(("parent", "action"), sorted(AN_NESTED.items()))
def test_nested_actions_per_parent_match_truth(
    sim: RunningSimulator, sim_truth: dict[str, Any], parent: str, action: str
) -> None:
    parents = walk_an(sim, f"/{parent}", parent).records
    person_ids = set(sim_truth["action_network"]["people"]["ids"])
    seen: list[str] = []
    for parent_record in parents:
        parent_uuid = href_uuid(parent_record["_links"]["self"]["href"])
        assert f"action_network:{parent_uuid}" == an_id(parent_record)
        walk = walk_an(sim, parent_record["_links"][f"osdi:{action}"]["href"], action)
        for page in walk.pages:
            if action == "attendances":  # live quirk: singular in _links, plural in _embedded
                assert "osdi:attendance" in page["_links"]
                assert "osdi:attendances" in page["_embedded"]
            assert page["total_records"] == sum(
                len(p["_embedded"][f"osdi:{action}"]) for p in walk.pages
            )
        for record in walk.records:
            seen.append(an_id(record))
            links = record["_links"]
            person_href = links["osdi:person"]["href"]  # every action links its person
            assert f"action_network:{href_uuid(person_href)}" in person_ids
            assert href_uuid(links[f"osdi:{AN_SINGULAR[parent]}"]["href"]) == parent_uuid
            if action == "taggings":
                assert record["item_type"] == "osdi:person"
                assert "action_network:person_id" not in record
            else:
                assert record["action_network:person_id"] == href_uuid(person_href)
                assert record[f"action_network:{AN_SINGULAR[parent]}_id"] == parent_uuid
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sim_truth["action_network"][action]["ids"]
    assert len(seen) == sim_truth["action_network"][action]["count"]


def test_donation_amounts_sum_to_truth(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    total, by_currency = 0, dict[str, int]()
    for page_record in walk_an(sim, "/fundraising_pages", "fundraising_pages").records:
        href = page_record["_links"]["osdi:donations"]["href"]
        for donation in walk_an(sim, href, "donations").records:
            amount = cents(donation["amount"])
            assert [cents(r["amount"]) for r in donation["recipients"]] == [amount]
            total += amount
            currency = donation["currency"].upper()
            by_currency[currency] = by_currency.get(currency, 0) + amount
    expected = sim_truth["action_network"]["donations"]
    assert total == expected["sum_cents"]
    assert by_currency == expected["sum_cents_by_currency"]


def test_person_action_links_resolve(sim: RunningSimulator) -> None:
    """A person's osdi:<action> links lead to exactly that person's actions."""
    by_person: dict[str, dict[str, set[str]]] = {}
    for parent, action in AN_NESTED.items():
        for parent_record in walk_an(sim, f"/{parent}", parent).records:
            href = parent_record["_links"][f"osdi:{action}"]["href"]
            for record in walk_an(sim, href, action).records:
                owner = href_uuid(record["_links"]["osdi:person"]["href"])
                by_person.setdefault(owner, {}).setdefault(action, set()).add(an_id(record))
    people = walk_an(sim, "/people", "people").records[:30]
    for person in people:
        uuid = href_uuid(person["_links"]["self"]["href"])
        for action in AN_NESTED.values():
            walk = walk_an(sim, person["_links"][f"osdi:{action}"]["href"], action)
            for record in walk.records:
                assert record["_links"]["osdi:person"]["href"] == person["_links"]["self"]["href"]
            ids = [an_id(r) for r in walk.records]
            assert sorted(ids) == sorted(by_person.get(uuid, {}).get(action, set()))


def test_self_links_resolve(sim: RunningSimulator) -> None:
    petition = walk_an(sim, "/petitions", "petitions").records[0]
    signature = walk_an(sim, petition["_links"]["osdi:signatures"]["href"], "signatures").records[0]
    for record in (petition, signature):
        reply = an_get(sim, record["_links"]["self"]["href"])
        assert reply.status == 200, reply.body[:200]
        assert an_id(reply.json()) == an_id(record)
    person = an_get(sim, signature["_links"]["osdi:person"]["href"])
    assert person.status == 200
    assert an_id(person.json()) == f"action_network:{signature['action_network:person_id']}"


def test_entry_point_links_every_collection(sim: RunningSimulator) -> None:
    reply = an_get(sim, "/")
    assert reply.status == 200
    links = reply.json()["_links"]
    for collection in AN_TOP_LEVEL:
        key = f"action_network:{collection}" if collection == "campaigns" else f"osdi:{collection}"
        assert links[key]["href"].endswith(f"/api/v2/{collection}")


def test_unknown_collection_and_parent_are_404(sim: RunningSimulator) -> None:
    for path in ("/nonsense", "/petitions/not-a-uuid/signatures", "/petitions/x/attendances"):
        reply = an_get(sim, path)
        assert reply.status == 404
        assert "error" in reply.json()
