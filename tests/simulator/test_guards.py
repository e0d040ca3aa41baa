"""What stands in front of the routes: auth, token expiry and refresh, rate limits, faults."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.simulator import (
    TINY,
    Reply,
    an_get,
    configured,
    control,
    nb_get,
    request,
    reset_stats,
)

NB_UNAUTHORIZED = {
    "code": "unauthorized",
    "message": "You are not authorized to access this content. Your access token may be missing.",
}


@pytest.fixture(scope="module")
def tiny() -> Iterator[RunningSimulator]:
    """A small population: these tests are about the guards, not the data."""
    with serve_in_thread(SimConfig(rate_limits=False, **TINY)) as running:
        yield running


def refresh(sim: RunningSimulator, **form: str) -> Reply:
    fields = {
        "grant_type": "refresh_token",
        "client_id": "sim-client",
        "client_secret": "sim-secret",
        "refresh_token": "nb-refresh-token",
        **form,
    }
    data = urllib.parse.urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return request(
        sim.nationbuilder_url + "/oauth/token", method="POST", headers=headers, data=data
    )


# ---- auth ---------------------------------------------------------------------------------------
def test_nationbuilder_auth(tiny: RunningSimulator) -> None:
    for token in (None, "wrong-token"):
        reply = nb_get(tiny, "/api/v2/signups", token=token)
        assert reply.status == 401
        assert reply.json() == NB_UNAUTHORIZED
    assert nb_get(tiny, "/api/v1/lists", token=None).status == 401
    by_param = nb_get(tiny, "/api/v2/signups", {"access_token": "nb-test-token"}, token=None)
    assert by_param.status == 200
    assert nb_get(tiny, "/api/v2/signups").status == 200


def test_action_network_auth(tiny: RunningSimulator) -> None:
    for key in (None, "wrong-key"):
        reply = an_get(tiny, "/people", key=key)
        assert reply.status == 401
        body = reply.json()
        assert set(body) == {"error"} and body["error"]
    # The NB token is not an AN key, and the header name matters.
    reply = request(tiny.action_network_url + "/people", headers={"api-key": "an-test-key"})
    assert reply.status == 401
    assert an_get(tiny, "/people").status == 200
    stats = control(tiny, "/_sim/stats")
    assert stats["unauthorized"]["action_network"] >= 3


# ---- token expiry and refresh -------------------------------------------------------------------
def test_token_expires_after_n_requests_and_refresh_replaces_it() -> None:
    with serve_in_thread(SimConfig(nb_token_ttl_requests=3, **TINY)) as sim:
        for _ in range(3):
            assert nb_get(sim, "/api/v2/signups").status == 200
        expired = nb_get(sim, "/api/v2/signups")
        assert expired.status == 401
        assert expired.json()["code"] == "token_expired"
        assert expired.json()["message"]
        assert nb_get(sim, "/api/v2/signups").json()["code"] == "token_expired"  # stays expired

        wrong = refresh(sim, client_secret="nope")
        assert wrong.status == 401 and wrong.json()["error"] == "invalid_grant"
        assert refresh(sim, grant_type="password").status == 400

        fresh = refresh(sim)
        assert fresh.status == 200, fresh.body
        grant = fresh.json()
        assert grant["token_type"] == "bearer" and grant["expires_in"] > 0
        assert grant["access_token"] != "nb-test-token"
        new_token, new_refresh = grant["access_token"], grant["refresh_token"]
        assert nb_get(sim, "/api/v2/signups", token=new_token).status == 200
        assert nb_get(sim, "/api/v1/lists", token=new_token).status == 200
        old = nb_get(sim, "/api/v2/signups")
        assert old.status == 401 and old.json()["code"] == "token_expired"

        # The refresh token rotates: the used one is spent, the new one works (also as JSON).
        assert refresh(sim).status == 401
        body = json.dumps(
            {
                "grant_type": "refresh_token",
                "client_id": "sim-client",
                "client_secret": "sim-secret",
                "refresh_token": new_refresh,
            }
        ).encode()
        again = request(
            sim.nationbuilder_url + "/oauth/token",
            method="POST",
            headers={"Content-Type": "application/json"},
            data=body,
        )
        assert again.status == 200
        newest = again.json()["access_token"]
        assert nb_get(sim, "/api/v2/signups", token=newest).status == 200
        assert nb_get(sim, "/api/v2/signups", token=new_token).json()["code"] == "token_expired"


def test_token_expires_after_ttl_seconds() -> None:
    with serve_in_thread(SimConfig(nb_token_ttl_seconds=0.3, **TINY)) as sim:
        assert nb_get(sim, "/api/v2/signups").status == 200
        time.sleep(0.4)
        reply = nb_get(sim, "/api/v2/signups")
        assert reply.status == 401 and reply.json()["code"] == "token_expired"
        grant = refresh(sim).json()
        assert nb_get(sim, "/api/v2/signups", token=grant["access_token"]).status == 200


# ---- rate limits --------------------------------------------------------------------------------
def test_nationbuilder_rate_limit_headers_and_429() -> None:
    with serve_in_thread(SimConfig(nb_rate_limit=5, nb_rate_window_s=2.0, **TINY)) as sim:
        replies: list[Reply] = []
        before = time.time()  # the reset is read against instants around the requests, not a bound
        for _ in range(12):  # a window boundary may pass once; 12 requests must still hit the limit
            replies.append(nb_get(sim, "/api/v2/signups", {"page[size]": 1}))
            if replies[-1].status == 429:
                break
        limited = replies[-1]
        assert limited.status == 429, [r.status for r in replies]
        assert limited.json() == {
            "message": "You have made too many requests. Please try again later."
        }
        retry_after = int(limited.header("Retry-After") or "0")
        assert 1 <= retry_after <= 2
        assert limited.header("RateLimit-Limit") == "5"
        assert limited.header("RateLimit-Remaining") == "0"
        after = time.time()
        reset = int(limited.header("RateLimit-Reset") or "0")
        # the end of the window that refused the last request: after it arrived (whole seconds),
        # at most one window (2 s) after the last reply, however long the requests took
        assert int(before) <= reset <= after + 2 + 1
        ok = [r for r in replies if r.status == 200]
        for reply in ok:
            assert reply.header("RateLimit-Limit") == "5"
            assert reply.header("RateLimit-Remaining") is not None
            assert reply.header("RateLimit-Reset") is not None
        remaining = [int(r.header("RateLimit-Remaining") or "-1") for r in ok[-5:]]
        assert remaining[-1] == 0 and remaining == sorted(remaining, reverse=True)
        assert control(sim, "/_sim/stats")["throttled"]["nationbuilder"] >= 1
        time.sleep(max(0.0, reset - time.time()) + 0.05)
        assert nb_get(sim, "/api/v2/signups").status == 200  # a new window


def test_nationbuilder_rate_limit_can_be_turned_off() -> None:
    with serve_in_thread(SimConfig(nb_rate_limit=2, rate_limits=False, **TINY)) as sim:
        replies = [nb_get(sim, "/api/v2/signups", {"page[size]": 1}) for _ in range(6)]
        assert {r.status for r in replies} == {200}
        assert all(r.header("Retry-After") is None for r in replies)


def test_action_network_rate_limit_429() -> None:
    with serve_in_thread(SimConfig(an_rate_per_s=1.0, an_burst=3, **TINY)) as sim:
        statuses = [an_get(sim, "/people", {"per_page": 1}) for _ in range(5)]
        assert [r.status for r in statuses[:3]] == [200, 200, 200]
        limited = next(r for r in statuses if r.status == 429)
        assert set(limited.json()) == {"error"}
        retry_after = int(limited.header("Retry-After") or "0")
        assert retry_after >= 1
        time.sleep(1.05)
        assert an_get(sim, "/people", {"per_page": 1}).status == 200  # refilled at 1/s
        assert control(sim, "/_sim/stats")["throttled"]["action_network"] >= 1


# ---- faults -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("http_500", 500, "server_error"), ("http_502", 502, "bad_gateway"),
     ("http_503", 503, "service_unavailable")],
)  # fmt: skip
def test_http_faults(tiny: RunningSimulator, kind: str, status: int, code: str) -> None:
    with configured(tiny, faults={kind: 1.0}):
        nb = nb_get(tiny, "/api/v2/signups")
        assert nb.status == status
        assert nb.json()["code"] == code and nb.json()["message"]
        an = an_get(tiny, "/people")
        assert an.status == status and set(an.json()) == {"error"}
    assert nb_get(tiny, "/api/v2/signups").status == 200
    faults = control(tiny, "/_sim/stats")["faults"]
    assert faults[f"nationbuilder:{kind}"] >= 1 and faults[f"action_network:{kind}"] >= 1


def dropped(call: Any) -> bool:
    """True when the server closed the connection instead of answering."""
    try:
        call()
    except (ConnectionError, http.client.HTTPException, urllib.error.URLError):
        return True
    return False


def test_reset_fault_drops_the_connection(tiny: RunningSimulator) -> None:
    with configured(tiny, faults={"reset": 1.0}):
        assert dropped(lambda: nb_get(tiny, "/api/v2/signups"))
        assert dropped(lambda: an_get(tiny, "/people"))
    assert nb_get(tiny, "/api/v2/signups").status == 200


def test_truncate_fault_sends_incomplete_json(tiny: RunningSimulator) -> None:
    whole = nb_get(tiny, "/api/v2/signups")
    with configured(tiny, faults={"truncate": 1.0}):
        for reply in (nb_get(tiny, "/api/v2/signups"), an_get(tiny, "/people")):
            assert reply.status == 200
            assert reply.body
            with pytest.raises(ValueError):
                json.loads(reply.body)
        cut = nb_get(tiny, "/api/v2/signups")
        assert whole.body.startswith(cut.body) and len(cut.body) < len(whole.body)
    json.loads(nb_get(tiny, "/api/v2/signups").body)


def test_stall_fault_outlasts_a_short_client_timeout(tiny: RunningSimulator) -> None:
    with configured(tiny, faults={"stall": 1.0}, stall_seconds=0.8):
        for call in (
            lambda: nb_get(tiny, "/api/v2/signups", timeout=0.2),
            lambda: an_get(tiny, "/people", timeout=0.2),
        ):
            with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
                call()
        slow = nb_get(tiny, "/api/v2/signups", timeout=5)  # a patient client gets the answer
        assert slow.status == 200
    faults = control(tiny, "/_sim/stats")["faults"]
    assert faults["nationbuilder:stall"] >= 2 and faults["action_network:stall"] >= 1
    assert nb_get(tiny, "/api/v2/signups", timeout=0.5).status == 200


def test_a_held_api_answers_only_once_released(tiny: RunningSimulator) -> None:
    reset_stats(tiny)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with configured(tiny, held=["nationbuilder"]):
            waiting = pool.submit(nb_get, tiny, "/api/v2/signups", timeout=30)
            while not control(tiny, "/_sim/stats")["in_flight"].get("nationbuilder"):
                assert not waiting.done(), "a held API answered"
                time.sleep(0.01)
            assert an_get(tiny, "/people").status == 200, "the other API is held too"
            time.sleep(0.3)
            assert not waiting.done(), "a held API answered"
        assert waiting.result().status == 200


def test_fault_rates_are_probabilities(tiny: RunningSimulator) -> None:
    with configured(tiny, faults={"http_503": 0.5}):
        statuses = [nb_get(tiny, "/api/v2/signups", {"page[size]": 1}).status for _ in range(60)]
    assert set(statuses) == {200, 503}
    assert 10 <= statuses.count(503) <= 50


def test_config_rejects_unknown_settings(tiny: RunningSimulator) -> None:
    for payload in ({"no_such_knob": 1}, {"faults": {"meteor": 1.0}}, {"held": ["facebook"]}):
        reply = request(
            tiny.url + "/_sim/config",
            method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps(payload).encode(),
        )
        assert reply.status == 400 and "error" in reply.json()


def test_latency_setting_holds_every_request_at_the_server(tiny: RunningSimulator) -> None:
    """Four requests sent together are all held at once: the server saw them in flight."""
    control(tiny, "/_sim/stats/reset", {})
    with configured(tiny, latency_ms=500), ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: nb_get(tiny, "/api/v2/signups"), range(4)))
    assert [reply.status for reply in replies] == [200] * 4
    assert control(tiny, "/_sim/stats")["max_in_flight"]["nationbuilder"] >= 3


def test_stats_count_requests_and_reset(tiny: RunningSimulator) -> None:
    control(tiny, "/_sim/stats/reset", {})
    assert control(tiny, "/_sim/stats")["requests"] == {}
    for _ in range(3):
        nb_get(tiny, "/api/v2/donations")
    an_get(tiny, "/tags")
    stats = control(tiny, "/_sim/stats")
    assert stats["requests"] == {"nationbuilder": 3, "action_network": 1}
    assert stats["by_route"]["nationbuilder GET /api/v2/{resource}"] == 3
    assert stats["by_route"]["action_network GET /api/v2/{collection}"] == 1
    control(tiny, "/_sim/stats/reset", {})
    assert all(not counter for counter in control(tiny, "/_sim/stats").values())
