"""A small blocking client for the API simulator, and walkers that page by the documented rules."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from simulator.server import RunningSimulator

NB_TOKEN = "nb-test-token"
AN_KEY = "an-test-key"
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
# Small populations for tests that only exercise the guards.
TINY: dict[str, Any] = {
    "nb_signups": 60,
    "nb_donations": 20,
    "nb_lists": 3,
    "an_people": 40,
    "an_actions": 120,
}


@dataclass
class Reply:
    """One HTTP answer: status, headers (case-insensitive lookups via .header) and raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 10.0,
) -> Reply:
    """A blocking request that returns error statuses instead of raising on them."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            status, raw_headers = resp.status, resp.headers
    except urllib.error.HTTPError as err:
        body = err.read()
        status, raw_headers = err.code, err.headers
    return Reply(status, {k.lower(): v for k, v in raw_headers.items()}, body)


def with_params(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    query = urllib.parse.urlencode({k: str(v) for k, v in params.items()}, safe="[]:,")
    return f"{url}{'&' if '?' in url else '?'}{query}"


def nb_url(sim: RunningSimulator, path: str) -> str:
    """NB links are paths relative to the nation (`/api/v2/...`): join them to the base."""
    return path if path.startswith("http") else sim.nationbuilder_url + path


def nb_get(
    sim: RunningSimulator,
    path: str,
    params: dict[str, Any] | None = None,
    token: str | None = NB_TOKEN,
    timeout: float = 10.0,
) -> Reply:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return request(with_params(nb_url(sim, path), params), headers=headers, timeout=timeout)


def an_url(sim: RunningSimulator, path: str) -> str:
    return path if path.startswith("http") else sim.action_network_url + path


def an_get(
    sim: RunningSimulator,
    path: str,
    params: dict[str, Any] | None = None,
    key: str | None = AN_KEY,
    timeout: float = 10.0,
) -> Reply:
    headers = {"OSDI-API-Token": key} if key else {}
    return request(with_params(an_url(sim, path), params), headers=headers, timeout=timeout)


def control(sim: RunningSimulator, path: str, payload: Any = None) -> Any:
    """GET (no payload) or POST JSON to a `/_sim/...` control route; returns the JSON answer."""
    if payload is None and not path.endswith(("mutate", "reset")):
        reply = request(sim.url + path)
    else:
        data = json.dumps(payload if payload is not None else {}).encode()
        headers = {"Content-Type": "application/json"}
        reply = request(sim.url + path, method="POST", headers=headers, data=data, timeout=60)
    assert reply.status == 200, (path, reply.status, reply.body[:300])
    return reply.json()


def truth(sim: RunningSimulator) -> dict[str, Any]:
    result: dict[str, Any] = control(sim, "/_sim/truth")
    return result


@contextmanager
def configured(sim: RunningSimulator, **changes: Any) -> Iterator[None]:
    """Change simulator settings for a block, then put the previous values back."""
    before = control(sim, "/_sim/config")
    control(sim, "/_sim/config", changes)
    try:
        yield
    finally:
        control(sim, "/_sim/config", {key: before[key] for key in changes})


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
