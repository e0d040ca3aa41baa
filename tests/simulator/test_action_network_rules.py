"""Action Network rules: per_page, OData filters, and the created_date/created_at dialect switch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from simulator.server import RunningSimulator
from tests.simulator.helpers import an_id, walk_an
from tests.support.simulator import an_get, configured


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def people(sim: RunningSimulator) -> list[dict[str, Any]]:
    return walk_an(sim, "/people", "people").records


def test_per_page_defaults_to_25_and_clamps(sim: RunningSimulator) -> None:
    assert len(an_get(sim, "/people").json()["_embedded"]["osdi:people"]) == 25
    small = an_get(sim, "/people", {"per_page": 4}).json()
    assert len(small["_embedded"]["osdi:people"]) == 4 and small["per_page"] == 4
    big = an_get(sim, "/people", {"per_page": 500}).json()
    assert len(big["_embedded"]["osdi:people"]) == 25 and big["per_page"] == 25
    second = an_get(sim, "/people", {"per_page": 4, "page": 2}).json()
    assert second["page"] == 2 and "prev" in second["_links"]
    first_ids = [an_id(r) for r in small["_embedded"]["osdi:people"]]
    assert not set(first_ids) & {an_id(r) for r in second["_embedded"]["osdi:people"]}


def test_live_timestamps_by_default(sim: RunningSimulator, people: list[dict[str, Any]]) -> None:
    for record in people[:50]:
        assert "created_date" in record and "modified_date" in record
        assert "created_at" not in record and "modified_at" not in record
        assert record["modified_date"].endswith("Z")


def test_odata_modified_date_gt_filter(sim: RunningSimulator, people: list[dict[str, Any]]) -> None:
    boundary = stamp("2025-01-01T00:00:00Z")
    expected = {an_id(r) for r in people if stamp(r["modified_date"]) > boundary}
    got = walk_an(sim, "/people", "people", {"filter": "modified_date gt '2025-01-01'"})
    assert {an_id(r) for r in got.records} == expected
    assert 0 < len(expected) < len(people)
    older = walk_an(sim, "/people", "people", {"filter": "modified_date lt '2025-01-01'"})
    assert len(older.records) + len(got.records) == len(people)


def test_odata_filters_on_other_collections(sim: RunningSimulator) -> None:
    petitions = walk_an(sim, "/petitions", "petitions").records
    target = an_id(petitions[1])
    one = walk_an(sim, "/petitions", "petitions", {"filter": f"identifier eq '{target}'"})
    assert [an_id(r) for r in one.records] == [target]
    assert one.pages[0]["total_records"] == 1
    href = petitions[0]["_links"]["osdi:signatures"]["href"]
    everything = walk_an(sim, href, "signatures").records
    both = "created_date gt '2024-01-01' and created_date lt '2025-01-01'"
    window = walk_an(sim, href, "signatures", {"filter": both}).records
    assert {an_id(r) for r in window} == {
        an_id(r)
        for r in everything
        if stamp("2024-01-01T00:00:00Z") < stamp(r["created_date"]) < stamp("2025-01-01T00:00:00Z")
    }


@pytest.mark.parametrize(
    "bad",
    [
        "modified_date gt 2025-01-01",  # value not quoted
        "modified_date ge '2025-01-01'",  # operator outside eq/gt/lt
        "modified_date gt 'not a date'",
        "favorite_color eq 'red'",  # not a filterable field
        "modified_at gt '2025-01-01'",  # the doc dialect while the live one is on
        "",
    ],
)
def test_malformed_filter_is_400(sim: RunningSimulator, bad: str) -> None:
    reply = an_get(sim, "/people", {"filter": bad})
    assert reply.status == 400
    assert set(reply.json()) == {"error"}


def test_doc_timestamps_switch(sim: RunningSimulator, people: list[dict[str, Any]]) -> None:
    live_modified = {an_id(r): r["modified_date"] for r in people}
    with configured(sim, an_timestamps="doc"):
        doc_people = walk_an(sim, "/people", "people").records
        for record in doc_people:
            assert "created_at" in record and "modified_at" in record
            assert "created_date" not in record and "modified_date" not in record
            assert record["modified_at"] == live_modified[an_id(record)]
        got = walk_an(sim, "/people", "people", {"filter": "modified_at gt '2025-01-01'"})
        boundary = stamp("2025-01-01T00:00:00Z")
        assert {an_id(r) for r in got.records} == {
            key for key, value in live_modified.items() if stamp(value) > boundary
        }
        reply = an_get(sim, "/people", {"filter": "modified_date gt '2025-01-01'"})
        assert reply.status == 400 and "error" in reply.json()
        petition = an_get(sim, "/petitions").json()["_embedded"]["osdi:petitions"][0]
        assert "created_at" in petition and "created_date" not in petition
    after = an_get(sim, "/people", {"per_page": 1}).json()["_embedded"]["osdi:people"][0]
    assert "modified_date" in after  # the switch is back to live


def test_filter_is_kept_in_next_links(sim: RunningSimulator) -> None:
    first = an_get(sim, "/people", {"filter": "modified_date gt '2024-06-01'", "per_page": 5})
    next_href = first.json()["_links"]["next"]["href"]
    assert "filter=" in next_href and "per_page=5" in next_href and "page=2" in next_href


def test_bad_paging_parameters_are_400(sim: RunningSimulator) -> None:
    for params in ({"page": "two"}, {"per_page": "lots"}):
        reply = an_get(sim, "/people", params)
        assert reply.status == 400 and set(reply.json()) == {"error"}
