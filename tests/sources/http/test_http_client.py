"""ApiClient against real loopback servers: retries, 429 pauses, auth, errors, sessions."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import dlt
import orjson
import pytest
from aiohttp import web
from http_fakes import (
    NB_PREFIX,
    TOKEN,
    Faults,
    NbV2Server,
    WindowServer,
    fast_settings,
    nb_signups,
    single_route,
)

from sources.action_network.client import action_network_settings
from sources.http import (
    ApiClient,
    ApiSettings,
    AuthError,
    CredentialRegistry,
    FatalHttpError,
    RetriesExhaustedError,
    SharedClient,
    credential_key,
    default_session,
    iter_nb_v2_pages,
)
from sources.nationbuilder.client import BASE_URL_HELP, nationbuilder_settings
from tests.support.servers import serve, serve_in_thread

SIGNUP = f"{NB_PREFIX}/api/v2/signups/1"


def _flaky_signup(faults: Faults) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        faulty = await faults.apply("signup", request)
        return faulty or web.json_response({"data": {"id": "1", "type": "signups"}})

    return single_route(SIGNUP, handler)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("500", "http_500"),
        ("502", "http_502"),
        ("503", "http_503"),
        ("504", "http_504"),
        ("429", "http_429"),
        # aiohttp silently resends an idempotent request once after a disconnect, so the
        # client only sees the second reset.
        ("reset,reset", "connection"),
        ("truncated", "invalid_json"),
        ("payload", "payload"),
        ("stall", "timeout"),
    ],
)
def test_transient_failure_is_retried_until_success(fault: str, kind: str) -> None:
    faults = Faults({"signup": fault.split(",")}, stall_seconds=1.0)

    async def run() -> tuple[Any, ApiClient]:
        async with serve(_flaky_signup(faults)) as origin:
            settings = fast_settings(f"{origin}{NB_PREFIX}", read_timeout=0.3)
            async with ApiClient(settings) as client:
                return await client.get_json("/api/v2/signups/1"), client

    body, client = asyncio.run(run())
    assert body == {"data": {"id": "1", "type": "signups"}}
    assert client.stats.total.retries == 1
    assert client.stats.total.errors == {kind: 1}
    assert client.stats.total.requests == 2


def test_retries_give_up_after_max_attempts_with_the_last_failure() -> None:
    faults = Faults({"signup": ["503"] * 10})

    async def run() -> None:
        async with serve(_flaky_signup(faults)) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}", max_attempts=3))
            async with client:
                await client.get_json("/api/v2/signups/1")

    with pytest.raises(RetriesExhaustedError) as caught:
        asyncio.run(run())
    assert caught.value.attempts == 3
    assert str(caught.value) == (
        "nationbuilder: GET /nationbuilder/api/v2/signups/1 -> 503 server_error: injected 503"
        " (gave up after 3 attempts)"
    )


def test_429_retry_after_makes_every_concurrent_task_wait() -> None:
    """Tasks that start while a Retry-After pause runs all wait for it: the server, on its own
    clock, sees none of them before the pause it asked for is over."""
    arrivals: list[float] = []
    throttled_at: list[float] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        arrivals.append(time.monotonic())
        if not throttled_at:
            throttled_at.append(time.monotonic())
            body = {"message": "You have made too many requests. Please try again later."}
            return web.json_response(body, status=429, headers={"Retry-After": "1"})
        return web.json_response({"ok": True})

    async def run() -> ApiClient:
        async with serve(single_route(SIGNUP, handler)) as origin:
            settings = fast_settings(f"{origin}{NB_PREFIX}")
            async with ApiClient(settings) as client:
                first = asyncio.ensure_future(client.get_json("/api/v2/signups/1"))
                while not client.stats.total.responses_429:  # the pause has begun
                    await asyncio.sleep(0.001)
                others = [client.get_json("/api/v2/signups/1") for _ in range(4)]
                await asyncio.gather(first, *others)
                return client

    client = asyncio.run(run())
    assert client.stats.total.responses_429 == 1
    assert len(arrivals) == 6
    early = [t for t in arrivals[1:] if t < throttled_at[0] + 1.0]
    assert early == [], "a request arrived during the Retry-After pause"


def test_nb_rate_headers_keep_a_fast_client_from_ever_seeing_429() -> None:
    server = WindowServer(limit=20, window=1.0)

    async def run() -> ApiClient:
        async with serve(server.app()) as origin:
            settings = fast_settings(f"{origin}{NB_PREFIX}", rate=100.0, burst=20, max_in_flight=4)
            async with ApiClient(settings) as client:
                await asyncio.gather(*(client.get_json("/api/v2/ping") for _ in range(50)))
                return client

    client = asyncio.run(run())
    assert server.served == 50
    assert server.rejected == 0
    assert client.stats.total.responses_429 == 0


def test_fatal_404_is_one_line_naming_the_call_and_not_the_token() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = {"code": "not_found", "message": f"Record not found for {TOKEN}"}
        return web.json_response(body, status=404)

    async def run() -> ApiClient:
        async with serve(single_route(SIGNUP, handler)) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))
            async with client:
                await client.get_json("/api/v2/signups/1", {"access_token": TOKEN})
                return client

    with pytest.raises(FatalHttpError) as caught:
        asyncio.run(run())
    text = str(caught.value)
    assert text == (
        "nationbuilder: GET /nationbuilder/api/v2/signups/1?access_token=*** -> "
        f"404 not_found: Record not found for ***; {BASE_URL_HELP}"
    )
    assert TOKEN not in text + repr(caught.value)
    assert caught.value.status == 404


def test_token_expired_refreshes_once_for_all_concurrent_requests() -> None:
    fresh = "fresh-token-987654"
    calls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers["Authorization"] == f"Bearer {fresh}":
            return web.json_response({"ok": True})
        body = {"code": "token_expired", "message": "Your access token has expired."}
        return web.json_response(body, status=401)

    async def refresh() -> dict[str, str]:
        calls.append(1)
        await asyncio.sleep(0.05)
        return {"Authorization": f"Bearer {fresh}"}

    async def run() -> list[Any]:
        async with serve(single_route(SIGNUP, handler)) as origin:
            settings = fast_settings(f"{origin}{NB_PREFIX}", on_unauthorized=refresh)
            async with ApiClient(settings) as client:
                return await asyncio.gather(
                    *(client.get_json("/api/v2/signups/1") for _ in range(4))
                )

    assert asyncio.run(run()) == [{"ok": True}] * 4
    assert len(calls) == 1


def _expired_app() -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = {"code": "token_expired", "message": "Your access token has expired."}
        return web.json_response(body, status=401)

    return single_route(SIGNUP, handler)


def test_token_expired_without_a_refresh_hook_raises_auth_error() -> None:
    async def run() -> None:
        async with serve(_expired_app()) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))
            async with client:
                await client.get_json("/api/v2/signups/1")

    with pytest.raises(AuthError) as caught:
        asyncio.run(run())
    assert "401 token_expired" in str(caught.value)
    assert "get a new token" in str(caught.value)


def test_refresh_hook_that_cannot_refresh_raises_auth_error_after_one_call() -> None:
    calls: list[int] = []

    async def refresh() -> None:
        calls.append(1)

    async def run() -> None:
        async with serve(_expired_app()) as origin:
            settings = fast_settings(f"{origin}{NB_PREFIX}", on_unauthorized=refresh)
            async with ApiClient(settings) as client:
                await client.get_json("/api/v2/signups/1")

    with pytest.raises(AuthError):
        asyncio.run(run())
    assert calls == [1]


def test_action_network_401_names_the_api_key_setting() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": "API Key invalid or not present"}, status=401)

    async def run() -> None:
        async with serve(single_route("/api/v2/people", handler)) as origin:
            settings = action_network_settings(f"{origin}/api/v2", TOKEN, backoff_base=0.01)
            async with ApiClient(settings) as client:
                await client.get_json("people")

    with pytest.raises(AuthError) as caught:
        asyncio.run(run())
    assert str(caught.value) == (
        "action_network: GET /api/v2/people -> 401 unauthorized: API Key invalid or not present; "
        "check SOURCES__ACTION_NETWORK__API_KEY (API & Sync page)"
    )


def test_writes_send_a_json_body_and_204_returns_none() -> None:
    received: list[Any] = []

    async def create(request: web.Request) -> web.StreamResponse:
        received.append((request.content_type, orjson.loads(await request.read())))
        return web.json_response({"data": {"id": "7"}}, status=201)

    async def delete(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post(f"{NB_PREFIX}/api/v2/signups", create)
    app.router.add_delete(f"{NB_PREFIX}/api/v2/signups/7", delete)

    async def run() -> tuple[Any, Any]:
        async with serve(app) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))
            async with client:
                created = await client.request_json(
                    "POST", "/api/v2/signups", json_body={"data": {"type": "signups"}}
                )
                deleted = await client.request_json("DELETE", "/api/v2/signups/7")
                return created, deleted

    assert asyncio.run(run()) == ({"data": {"id": "7"}}, None)
    assert received == [("application/json", {"data": {"type": "signups"}})]


def test_paths_join_under_the_base_path_and_absolute_urls_are_used_as_is() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(str(request.rel_url))
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/action_network/api/v2/{tail:.*}", handler)

    async def run() -> None:
        async with serve(app) as origin:
            base = f"{origin}/action_network/api/v2/"
            settings = fast_settings(base, api="action_network")
            async with ApiClient(settings) as client:
                await client.get_json("people", {"page": 2})
                await client.get_json("/petitions/abc/signatures")
                await client.get_json(f"{origin}/action_network/api/v2/people?page=3")

    asyncio.run(run())
    assert seen == [
        "/action_network/api/v2/people?page=2",
        "/action_network/api/v2/petitions/abc/signatures",
        "/action_network/api/v2/people?page=3",
    ]


def test_absolute_url_on_another_origin_is_refused_before_sending_the_token() -> None:
    async def run() -> None:
        async with ApiClient(fast_settings("http://127.0.0.1:9/nationbuilder")) as client:
            await client.get_json("https://evil.example/steal?page=2")

    with pytest.raises(FatalHttpError, match="foreign_origin"):
        asyncio.run(run())


def test_client_reopens_its_session_on_each_new_event_loop() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    with serve_in_thread(single_route(SIGNUP, handler)) as origin:
        client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))

        async def fetch() -> Any:
            return await client.get_json("/api/v2/signups/1")

        # Like consecutive dlt runs: each asyncio.run is a fresh loop; the first loop is closed
        # while the client still holds the session made on it.
        assert asyncio.run(fetch()) == {"ok": True}
        assert asyncio.run(fetch()) == {"ok": True}
        asyncio.run(client.close())
    assert client.stats.total.requests == 2


def test_stats_count_per_api_and_per_resource() -> None:
    faults = Faults({"signup": ["500"]})

    async def run() -> ApiClient:
        async with serve(_flaky_signup(faults)) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))
            async with client:
                await client.get_json("/api/v2/signups/1", resource="signups")
                await client.get_json("/api/v2/signups/1", resource="donations")
                client.stats.add_records(3, "signups")
                return client

    stats = asyncio.run(run()).stats.as_dict()
    assert stats["requests"] == 3
    assert stats["retries"] == 1
    assert stats["records"] == 3
    assert stats["bytes_received"] > 0
    assert stats["resources"]["signups"]["requests"] == 2
    assert stats["resources"]["signups"]["errors"] == {"http_500": 1}
    assert stats["resources"]["donations"]["requests"] == 1
    assert stats["resources"]["donations"]["records"] == 0


def test_registry_shares_one_credential_per_token_and_keys_without_the_token() -> None:
    registry = CredentialRegistry()
    first = registry.get(nationbuilder_settings("https://n.nationbuilder.com", TOKEN))
    same = registry.get(nationbuilder_settings("https://n.nationbuilder.com/", TOKEN))
    other = registry.get(nationbuilder_settings("https://n.nationbuilder.com", "another"))
    assert first is same
    assert other is not first
    assert TOKEN not in repr(credential_key(first.settings)) + repr(first.settings)


def test_retry_log_lines_never_hold_the_token(caplog: pytest.LogCaptureFixture) -> None:
    faults = Faults({"signup": ["503", "truncated"]})

    async def run() -> None:
        async with serve(_flaky_signup(faults)) as origin:
            client = ApiClient(fast_settings(f"{origin}{NB_PREFIX}"))
            async with client:
                await client.get_json("/api/v2/signups/1", {"access_token": TOKEN})

    with caplog.at_level(logging.WARNING, logger="sources.http"):
        asyncio.run(run())
    assert len(caplog.records) == 2
    assert "retry 1 of 4" in caplog.records[0].getMessage()
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def test_a_shared_client_opens_one_session_and_the_last_user_closes_it() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    sessions: list[aiohttp.ClientSession] = []

    def recording_factory(settings: ApiSettings) -> aiohttp.ClientSession:
        sessions.append(default_session(settings))
        return sessions[-1]

    async def user(shared: SharedClient) -> None:
        async with shared.open() as client:
            await client.get_json("/api/v2/signups/1")
            await asyncio.sleep(0.01)

    with serve_in_thread(single_route(SIGNUP, handler)) as origin:
        registry = CredentialRegistry(session_factory=recording_factory)
        shared = SharedClient(registry.get(fast_settings(f"{origin}{NB_PREFIX}")))

        async def three_users() -> None:
            await asyncio.gather(*(user(shared) for _ in range(3)))

        asyncio.run(three_users())
    assert len(sessions) == 1
    assert sessions[0].closed and not shared.is_open


def test_one_credential_serves_consecutive_dlt_runs_each_on_its_own_loop() -> None:
    server = NbV2Server(nb_signups(45))
    registry = CredentialRegistry()

    with serve_in_thread(server.app()) as origin:
        settings = fast_settings(f"{origin}{NB_PREFIX}")

        @dlt.resource(name="signups")
        async def signups() -> AsyncIterator[list[dict[str, Any]]]:
            async with ApiClient(registry.get(settings)) as client:
                pages = iter_nb_v2_pages(
                    client, "/api/v2/signups", page_size=20, resource="signups"
                )
                async for page in pages:
                    yield page["data"]

        # dlt runs async resources on its own loop in a worker thread, a new one per run.
        first = list(signups())
        second = list(signups())

    assert [row["id"] for row in first] == [str(i) for i in range(1, 46)]
    assert second == first
    (credential,) = registry.credentials()
    assert credential.stats.for_resource("signups").records == 90


def test_redirects_are_not_followed_so_the_key_stays_home() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("https://elsewhere.example/api/v2/people?api_key=leak")

    async def run() -> None:
        async with serve(single_route("/api/v2/people", handler)) as origin:
            settings = action_network_settings(f"{origin}/api/v2", TOKEN)
            async with ApiClient(settings) as client:
                await client.get_json("people")

    with pytest.raises(FatalHttpError) as caught:
        asyncio.run(run())
    assert str(caught.value) == (
        "action_network: GET /api/v2/people -> 301 moved_permanently: redirect to "
        "https://elsewhere.example/api/v2/people?api_key=*** not followed (check base_url)"
    )


def test_tls_failure_is_fatal_and_not_retried() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({})

    clients: list[ApiClient] = []

    async def run() -> None:
        async with serve(single_route(SIGNUP, handler)) as origin:
            # Speaking TLS to a plain-HTTP port fails the handshake: retrying cannot help.
            clients.append(ApiClient(fast_settings(origin.replace("http:", "https:") + NB_PREFIX)))
            async with clients[0]:
                await clients[0].get_json("/api/v2/signups/1")

    with pytest.raises(FatalHttpError, match="ClientConnectorSSLError"):
        asyncio.run(run())
    assert clients[0].stats.total.retries == 0
