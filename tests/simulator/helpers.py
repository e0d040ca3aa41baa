"""Walkers that page through the simulator by the documented rules, and record helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from simulator.server import RunningSimulator
from tests.support.simulator import an_get, an_url, nb_get, nb_url, with_params

NB_V2_RESOURCES = (
    "signups",
    "donations",
    "lists",
    "signup_tags",
    "signup_taggings",
    "events",
    "event_rsvps",
    "memberships",
    "petitions",
    "petition_signatures",
    "paths",
    "path_journeys",
)
AN_TOP_LEVEL = (
    "people",
    "petitions",
    "events",
    "forms",
    "fundraising_pages",
    "advocacy_campaigns",
    "tags",
    "campaigns",
    "lists",
    "messages",
)
# parent collection -> its action collection (the rel name in the parent's _links is osdi:<action>)
AN_NESTED = {
    "petitions": "signatures",
    "events": "attendances",
    "forms": "submissions",
    "fundraising_pages": "donations",
    "advocacy_campaigns": "outreaches",
    "tags": "taggings",
}
AN_SINGULAR = {
    "petitions": "petition",
    "events": "event",
    "forms": "form",
    "fundraising_pages": "fundraising_page",
    "advocacy_campaigns": "advocacy_campaign",
    "tags": "tag",
}


# ---- NationBuilder walkers ------------------------------------------------------------------
@dataclass
class Walk:
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)


def walk_nb(sim: RunningSimulator, path: str, params: dict[str, Any] | None = None) -> Walk:
    """Follow `links.next` until a page comes back empty, checking the documented paging rules."""
    walk = Walk()
    url = with_params(nb_url(sim, path), params)
    for _ in range(10_000):
        reply = nb_get(sim, url)
        assert reply.status == 200, (url, reply.status, reply.body[:300])
        assert (reply.header("content-type") or "").startswith("application/vnd.api+json")
        page = reply.json()
        walk.pages.append(page)
        if not page["data"]:
            assert page["links"].get("next") is None, "an empty page should end the walk"
            return walk
        # "The next link will always be provided when resources are returned."
        assert page["links"].get("next"), f"non-empty page without links.next: {url}"
        walk.records.extend(page["data"])
        url = nb_url(sim, page["links"]["next"])
    raise AssertionError(f"walk of {path} did not end")


def walk_nb_v1(sim: RunningSimulator, path: str, params: dict[str, Any] | None = None) -> Walk:
    """v1 paging: follow the opaque `next` path (nonce + token) until it is null."""
    walk = Walk()
    url = with_params(nb_url(sim, path), params)
    for _ in range(10_000):
        reply = nb_get(sim, url)
        assert reply.status == 200, (url, reply.status, reply.body[:300])
        page = reply.json()
        walk.pages.append(page)
        assert page["prev"] is None
        walk.records.extend(page["results"])
        if page["next"] is None:
            return walk
        assert "__nonce=" in page["next"] and "__token=" in page["next"]
        url = nb_url(sim, page["next"])
    raise AssertionError(f"walk of {path} did not end")


def nb_ids(records: list[dict[str, Any]]) -> list[int]:
    return [int(record["id"]) for record in records]


def nb_time(text: str) -> float:
    """An NB timestamp (nation-local with an offset) as epoch seconds."""
    return datetime.fromisoformat(text).timestamp()


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- Action Network walkers -----------------------------------------------------------------
def embedded_key(collection: str) -> str:
    return f"action_network:{collection}" if collection == "campaigns" else f"osdi:{collection}"


def link_list_key(collection: str) -> str:
    """The _links rel listing a page's records: attendances use the singular (a live quirk)."""
    return "osdi:attendance" if collection == "attendances" else embedded_key(collection)


def walk_an(
    sim: RunningSimulator,
    url: str,
    collection: str,
    params: dict[str, Any] | None = None,
) -> Walk:
    """Follow `_links.next` until it is missing or `_embedded` comes back empty."""
    walk = Walk()
    url = with_params(an_url(sim, url), params)
    key = embedded_key(collection)
    for _ in range(10_000):
        reply = an_get(sim, url)
        assert reply.status == 200, (url, reply.status, reply.body[:300])
        page = reply.json()
        walk.pages.append(page)
        records = page["_embedded"][key]
        links = page["_links"]
        hrefs = [item["href"] for item in links[link_list_key(collection)]]
        assert hrefs == [record["_links"]["self"]["href"] for record in records]
        assert links["curies"], "curies are always present"
        walk.records.extend(records)
        if not records or "next" not in links:
            return walk
        url = links["next"]["href"]
    raise AssertionError(f"walk of {url} did not end")


def an_id(record: dict[str, Any]) -> str:
    """The record's `action_network:<uuid>` identifier."""
    ids = [i for i in record["identifiers"] if i.startswith("action_network:")]
    assert len(ids) == 1, record["identifiers"]
    return str(ids[0])


def href_uuid(href: str) -> str:
    return href.rstrip("/").rsplit("/", 1)[-1]


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)
