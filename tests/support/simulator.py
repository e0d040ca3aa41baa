"""The API simulator as tests drive it: start one, ask it for its truth and counters, retune it.

Every test reads the simulator through these few functions, so what "truth", "stats" or a
settings change mean is written once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig

NB_TOKEN = SimConfig.nb_token
AN_KEY = "an-test-key"
# Small populations for tests that only exercise the guards.
TINY: dict[str, Any] = {
    "nb_signups": 60,
    "nb_donations": 20,
    "nb_lists": 3,
    "an_people": 40,
    "an_actions": 120,
}
# Control routes that change something, and so take a POST even without a body.
_POSTS = ("/_sim/mutate", "/_sim/reset", "/_sim/stats/reset")


@contextmanager
def simulator(**settings: Any) -> Iterator[RunningSimulator]:
    """A simulator of the caller's own, rate limits off unless asked."""
    with serve_in_thread(SimConfig(**{"rate_limits": False, **settings})) as running:
        yield running


# ---- plain HTTP ------------------------------------------------------------------------------
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
    timeout: float = 30.0,
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
    timeout: float = 30.0,
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
    timeout: float = 30.0,
) -> Reply:
    headers = {"OSDI-API-Token": key} if key else {}
    return request(with_params(an_url(sim, path), params), headers=headers, timeout=timeout)


def an_send(
    sim: RunningSimulator,
    method: str,
    path: str,
    body: Any = None,
    key: str | None = AN_KEY,
) -> Reply:
    """A write to the Action Network API (POST, PUT, DELETE), JSON in and out."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["OSDI-API-Token"] = key
    data = None if body is None else json.dumps(body).encode()
    return request(an_url(sim, path), method=method, headers=headers, data=data)


# ---- the control routes ----------------------------------------------------------------------
def control(sim: RunningSimulator | str, path: str, payload: Any = None) -> Any:
    """GET (no payload) or POST JSON to a `/_sim/...` control route; returns the JSON answer."""
    url = sim if isinstance(sim, str) else sim.url
    if payload is None and not path.endswith(_POSTS):
        reply = request(url + path, timeout=120)
    else:
        data = json.dumps(payload if payload is not None else {}).encode()
        headers = {"Content-Type": "application/json"}
        reply = request(url + path, method="POST", headers=headers, data=data, timeout=120)
    assert reply.status == 200, (path, reply.status, reply.body[:300])
    return reply.json()


def truth(sim: RunningSimulator) -> dict[str, Any]:
    """What the simulated accounts hold right now: ids, counts, sums, the marts' answers."""
    result: dict[str, Any] = control(sim, "/_sim/truth")
    return result


def an_people_by_email(sim: RunningSimulator) -> dict[str, dict[str, Any]]:
    """The group's people by each of their addresses (trimmed, lower case), from the truth."""
    records = truth(sim)["action_network"]["people"]["records"]
    return {
        email["address"].strip().lower(): record
        for record in records
        for email in record["email_addresses"]
    }


def an_tag_members(sim: RunningSimulator, tag: str) -> set[str] | None:
    """Who carries the tag (`action_network:<uuid>` ids), or None when the group has no such tag."""
    members = truth(sim)["action_network"]["tags"]["members"]
    return set(members[tag]) if tag in members else None


def stats(sim: RunningSimulator) -> dict[str, dict[str, Any]]:
    """What the server saw since the last reset: requests, routes, 429s, faults, in flight."""
    result: dict[str, dict[str, Any]] = control(sim, "/_sim/stats")
    return result


def reset_stats(sim: RunningSimulator) -> None:
    control(sim, "/_sim/stats/reset")


def requests_served(sim: RunningSimulator, api: str | None = None) -> int:
    """Requests of one API (or both) since the last reset."""
    served = stats(sim)["requests"]
    return int(served.get(api, 0) if api else sum(served.values()))


def configure(sim: RunningSimulator, **settings: Any) -> None:
    control(sim, "/_sim/config", settings)


@contextmanager
def configured(sim: RunningSimulator, **changes: Any) -> Iterator[None]:
    """Change simulator settings for a block, then put the previous values back."""
    before = control(sim, "/_sim/config")
    configure(sim, **changes)
    try:
        yield
    finally:
        configure(sim, **{key: before[key] for key in changes})


def mutate(
    sim: RunningSimulator, fraction: float = 0.05, delete_fraction: float | None = None
) -> dict[str, Any]:
    """A day of changes (updates, additions, deletions); what changed, per API."""
    body: dict[str, float] = {"fraction": fraction}
    if delete_fraction is not None:
        body["delete_fraction"] = delete_fraction
    changes: dict[str, Any] = control(sim, "/_sim/mutate", body)
    return changes


def reset(sim: RunningSimulator, **settings: Any) -> None:
    """Back to the population the seed makes (after applying `settings`)."""
    control(sim, "/_sim/reset", settings)
