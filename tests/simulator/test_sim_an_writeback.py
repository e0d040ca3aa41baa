"""The simulator's Action Network write endpoints: the person signup helper, tags, taggings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.simulator.helpers import an_id, href_uuid, walk_an
from tests.support.simulator import (
    TINY,
    an_get,
    an_people_by_email,
    an_send,
    an_tag_members,
    configured,
    reset_stats,
    stats,
    truth,
)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A simulator of this module's own: these tests change the group."""
    with serve_in_thread(SimConfig(rate_limits=False, **TINY)) as running:
        yield running


def signup(sim: RunningSimulator, person: dict[str, Any], **helpers: Any) -> dict[str, Any]:
    reply = an_send(sim, "POST", "/people", {"person": person, **helpers})
    assert reply.status == 200, reply.body
    answer: dict[str, Any] = reply.json()
    return answer


def uuid_of(record: dict[str, Any]) -> str:
    """The bare uuid that URLs use."""
    return an_id(record).removeprefix("action_network:")


def people_count(sim: RunningSimulator) -> int:
    return int(truth(sim)["action_network"]["people"]["count"])


def new_tag(sim: RunningSimulator, name: str) -> str:
    reply = an_send(sim, "POST", "/tags", {"name": name})
    assert reply.status == 200, reply.body
    return uuid_of(reply.json())


def tagging_body(sim: RunningSimulator, person_uuid: str) -> dict[str, Any]:
    href = f"{sim.action_network_url}/people/{person_uuid}"
    return {"_links": {"osdi:person": {"href": href}}}


def test_helper_creates_a_person_with_the_default_statuses(sim: RunningSimulator) -> None:
    before = people_count(sim)
    person = signup(
        sim,
        {
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email_addresses": [{"address": "ada@new.example"}],
            "phone_numbers": [{"number": "+1 (503) 555-0100"}],
            "postal_addresses": [{"postal_code": "97201", "country": "US"}],
        },
    )
    assert people_count(sim) == before + 1
    record = an_people_by_email(sim)["ada@new.example"]
    assert record["id"] == an_id(person)
    assert (record["given_name"], record["family_name"]) == ("Ada", "Lovelace")
    assert record["email_addresses"] == [
        {"address": "ada@new.example", "status": "subscribed", "primary": True}
    ], "a new address joins the list"
    assert record["phone_numbers"] == [{"number": "15035550100", "status": "unsubscribed"}]
    assert record["postal_addresses"][0]["postal_code"] == "97201"
    found = an_get(sim, "/people", {"filter": "email_address eq 'ADA@new.example'"}).json()
    assert [an_id(r) for r in found["_embedded"]["osdi:people"]] == [record["id"]]


def test_helper_matches_by_email_and_sets_a_status_only_when_given(sim: RunningSimulator) -> None:
    first = signup(sim, {"email_addresses": [{"address": "bea@new.example"}]})
    before = people_count(sim)
    again = signup(
        sim, {"given_name": "Bea", "email_addresses": [{"address": "  Bea@New.example "}]}
    )
    assert an_id(again) == an_id(first) and people_count(sim) == before
    record = an_people_by_email(sim)["bea@new.example"]
    assert record["given_name"] == "Bea"
    assert record["email_addresses"][0]["status"] == "subscribed", "no status: left as it was"
    signup(sim, {"email_addresses": [{"address": "bea@new.example", "status": "unsubscribed"}]})
    status = an_people_by_email(sim)["bea@new.example"]["email_addresses"][0]["status"]
    assert status == "unsubscribed"


def test_helper_matches_by_phone_only_when_no_email_is_posted(sim: RunningSimulator) -> None:
    first = signup(sim, {"phone_numbers": [{"number": "15035550111", "status": "subscribed"}]})
    before = people_count(sim)
    number = {"phone_numbers": [{"number": "+1 503-555-0111"}]}
    again = signup(sim, {"family_name": "Okafor", **number})
    assert an_id(again) == an_id(first) and people_count(sim) == before
    found = an_get(sim, "/people", {"filter": "phone_number eq '15035550111'"}).json()
    (record,) = found["_embedded"]["osdi:people"]
    assert record["family_name"] == "Okafor"
    assert record["phone_numbers"][0]["status"] == "subscribed"
    with_email = {"email_addresses": [{"address": "hal@new.example"}], **number}
    assert an_id(signup(sim, with_email)) != an_id(first), "a posted email is the only key"


def test_helper_adds_and_removes_tags_the_group_has(sim: RunningSimulator) -> None:
    person = signup(
        sim,
        {"email_addresses": [{"address": "cy@new.example"}]},
        add_tags=["volunteer 1", "no such tag"],
    )
    assert an_id(person) in (an_tag_members(sim, "Volunteer 1") or set())
    assert an_tag_members(sim, "no such tag") is None, "add_tags names tags already made"
    signup(sim, {"email_addresses": [{"address": "cy@new.example"}]}, remove_tags=["Volunteer 1"])
    assert an_id(person) not in (an_tag_members(sim, "Volunteer 1") or set())


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"person": {"given_name": "Nobody"}}, "email address or a phone number"),
        ({"person": {"email_addresses": [{"address": " "}]}}, "email address or a phone number"),
        ({"person": {"email_addresses": [{"address": "x@y", "status": "bouncing"}]}}, "status"),
        ({"person": {"email_addresses": "x@y"}}, "list of objects"),
        ({"add_tags": ["x"]}, "person is required"),
    ],
)
def test_helper_refuses_a_person_it_cannot_match_or_make(
    sim: RunningSimulator, body: dict[str, Any], problem: str
) -> None:
    before = people_count(sim)
    reply = an_send(sim, "POST", "/people", body)
    assert reply.status == 400 and problem in reply.json()["error"]
    assert people_count(sim) == before


def test_tags_are_made_once_per_name(sim: RunningSimulator) -> None:
    before = truth(sim)["action_network"]["tags"]["count"]
    tag = new_tag(sim, "RSVP 2025")
    assert new_tag(sim, " rsvp 2025") == tag, "a name the group has answers with that tag"
    assert truth(sim)["action_network"]["tags"]["count"] == before + 1
    listed = {uuid_of(r): r["name"] for r in walk_an(sim, "/tags", "tags").records}
    assert listed[tag] == "RSVP 2025"
    assert an_send(sim, "POST", "/tags", {"name": "  "}).status == 400


def test_a_person_holds_a_tag_once_and_a_tagging_can_be_deleted(sim: RunningSimulator) -> None:
    tag = new_tag(sim, "Tagged once")
    person = uuid_of(signup(sim, {"email_addresses": [{"address": "di@new.example"}]}))
    path = f"/tags/{tag}/taggings"
    first = an_send(sim, "POST", path, tagging_body(sim, person))
    second = an_send(sim, "POST", path, tagging_body(sim, person))
    assert first.status == second.status == 200
    assert an_id(first.json()) == an_id(second.json())
    assert an_tag_members(sim, "Tagged once") == {f"action_network:{person}"}
    (listed,) = walk_an(sim, path, "taggings").records
    assert href_uuid(listed["_links"]["osdi:person"]["href"]) == person
    tagging = uuid_of(listed)
    assert an_send(sim, "DELETE", f"{path}/{tagging}").status == 200
    assert an_tag_members(sim, "Tagged once") == set()
    assert an_send(sim, "DELETE", f"{path}/{tagging}").status == 404


def test_tagging_needs_a_known_tag_and_person(sim: RunningSimulator) -> None:
    tag = new_tag(sim, "Needs a person")
    person = uuid_of(signup(sim, {"email_addresses": [{"address": "ed@new.example"}]}))
    nobody = "00000000-0000-4000-8000-000000000000"
    assert an_send(sim, "POST", f"/tags/{nobody}/taggings", tagging_body(sim, person)).status == 404
    assert an_send(sim, "POST", f"/tags/{tag}/taggings", tagging_body(sim, nobody)).status == 404
    assert an_send(sim, "POST", f"/tags/{tag}/taggings", {"_links": {}}).status == 400
    assert an_tag_members(sim, "Needs a person") == set()


def test_writes_need_the_api_key_and_are_counted_by_route(sim: RunningSimulator) -> None:
    reset_stats(sim)
    body = {"person": {"email_addresses": [{"address": "fay@new.example"}]}}
    assert an_send(sim, "POST", "/people", body, key=None).status == 401
    assert an_send(sim, "POST", "/tags", {"name": "x"}, key="wrong").status == 401
    assert "fay@new.example" not in an_people_by_email(sim)
    seen = stats(sim)
    assert seen["unauthorized"]["action_network"] == 2
    assert seen["by_route"] == {
        "action_network POST /api/v2/people": 1,
        "action_network POST /api/v2/tags": 1,
    }


def test_writes_share_the_read_routes_rate_limit(sim: RunningSimulator) -> None:
    """A key of its own, so its bucket starts full whatever the module's key has spent."""
    body = {"person": {"email_addresses": [{"address": "gus@new.example"}]}}
    fresh = "an-key-of-the-rate-test"
    with configured(sim, rate_limits=True, an_burst=1, an_rate_per_s=0.01, an_keys=[fresh]):
        reset_stats(sim)
        assert an_send(sim, "POST", "/people", body, key=fresh).status == 200
        throttled = an_send(sim, "POST", "/people", body, key=fresh)
        assert throttled.status == 429 and throttled.header("Retry-After")
        assert stats(sim)["throttled"]["action_network"] == 1
