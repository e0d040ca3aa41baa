"""What stands in front of every API route: auth, rate limits, latency, faults, counters."""

from __future__ import annotations

import asyncio
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson
from aiohttp import web

from simulator.appkeys import AUTH, CONFIG, FAULT_RNG, LIMITS, PREFIX, STATS
from simulator.bad_input import spoil
from simulator.settings import SimConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CREDENTIAL_PARAMS = frozenset({"access_token", "api_key", "apikey", "osdi-api-token", "key"})
NB_FAULT_BODIES = {
    500: (
        "server_error",
        "You have encountered a server error. Double check your request and/or try again later.",
    ),
    502: ("bad_gateway", "Backend service timed out."),
    503: ("service_unavailable", "The service is temporarily unavailable. Please retry later."),
}


@dataclass
class NationAuth:
    """NationBuilder access tokens: expiry by age or use, and the OAuth refresh replacing them."""

    config: SimConfig
    tokens: dict[str, tuple[float, int]] = field(default_factory=dict)  # token -> (issued, uses)
    refresh_token: str = ""
    expired: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.tokens[self.config.nb_token] = (time.monotonic(), 0)
        self.refresh_token = self.config.nb_refresh_token

    def check(self, token: str | None) -> str | None:
        """None when the token may be used, otherwise the documented 401 code."""
        if token is None or (token not in self.tokens and token not in self.expired):
            return "unauthorized"
        if token in self.expired:
            return "token_expired"
        issued, uses = self.tokens[token]
        ttl_s, ttl_n = self.config.nb_token_ttl_seconds, self.config.nb_token_ttl_requests
        if (ttl_s is not None and time.monotonic() - issued > ttl_s) or (
            ttl_n is not None and uses >= ttl_n
        ):
            self.expired.add(token)
            del self.tokens[token]
            return "token_expired"
        self.tokens[token] = (issued, uses + 1)
        return None

    def refresh(
        self, client_id: str | None, client_secret: str | None, refresh: str | None
    ) -> tuple[str | None, str]:
        if (client_id, client_secret, refresh) != (
            self.config.nb_client_id,
            self.config.nb_client_secret,
            self.refresh_token,
        ):
            return None, ""
        for old in list(self.tokens):
            self.expired.add(old)
            del self.tokens[old]
        access = f"nb-refreshed-{secrets.token_hex(8)}"
        self.tokens[access] = (time.monotonic(), 0)
        self.refresh_token = f"nb-refresh-{secrets.token_hex(8)}"
        return access, self.refresh_token


@dataclass
class Limits:
    """NationBuilder: fixed windows per token with RateLimit-* headers. AN: token bucket per key."""

    config: SimConfig
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def nationbuilder(self, token: str) -> tuple[bool, dict[str, str]]:
        if not self.config.rate_limits:
            return True, {}  # no limit in force, so none is advertised
        limit, window = self.config.nb_rate_limit, self.config.nb_rate_window_s
        now = time.time()
        start = math.floor(now / window) * window
        seen_start, used = self.windows.get(token, (start, 0))
        used = used + 1 if seen_start == start else 1
        self.windows[token] = (start, used)
        reset = start + window
        headers = {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(max(0, limit - used)),
            "RateLimit-Reset": str(math.ceil(reset)),
        }
        if used > limit:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            return False, headers
        return True, headers

    def action_network(self, key: str) -> tuple[bool, dict[str, str]]:
        rate, burst = self.config.an_rate_per_s, self.config.an_burst
        now = time.monotonic()
        tokens, last = self.buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if not self.config.rate_limits or tokens >= 1:
            self.buckets[key] = (max(0.0, tokens - 1), now)
            return True, {}
        self.buckets[key] = (tokens, now)
        return False, {"Retry-After": str(max(1, math.ceil((1 - tokens) / rate)))}


@dataclass
class Stats:
    """Requests served per API and route, 429s sent and faults injected: what tests read back.

    `max_in_flight` is the most requests of one API the server held at once (from arrival to
    answer), and `first_arrival`/`last_arrival` the server's clock (time.monotonic) when the
    first and last request of an API arrived: what a test of concurrency asserts on, since a
    busy machine stretches a client's seconds but cannot make overlapping requests sequential.
    """

    requests: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    first_arrival: dict[str, float] = field(default_factory=dict)
    last_arrival: dict[str, float] = field(default_factory=dict)
    by_route: Counter[str] = field(default_factory=Counter)
    # The same per path actually requested (`action_network GET /api/v2/people`): one collection.
    by_path: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    unauthorized: Counter[str] = field(default_factory=Counter)
    bad_input: Counter[str] = field(default_factory=Counter)
    # Requests whose query string carried a credential: tokens belong in headers.
    credentials_in_query: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, float]]:
        names = (
            *("requests", "by_route", "by_path", "throttled", "faults", "unauthorized"),
            *("bad_input", "credentials_in_query", "in_flight", "max_in_flight"),
            *("first_arrival", "last_arrival"),
        )
        return {name: dict(getattr(self, name)) for name in names}

    def reset(self) -> None:
        """Start counting afresh; requests still being served stay in flight."""
        for name, values in vars(self).items():
            if name != "in_flight":
                values.clear()
        self.max_in_flight.update(self.in_flight)

    def arrived(self, api: str) -> None:
        now = time.monotonic()
        self.requests[api] += 1
        self.first_arrival.setdefault(api, now)
        self.last_arrival[api] = now
        self.in_flight[api] += 1
        self.max_in_flight[api] = max(self.max_in_flight[api], self.in_flight[api])

    def answered(self, api: str) -> None:
        self.in_flight[api] -= 1
        if not self.in_flight[api]:
            del self.in_flight[api]


def nb_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query.get("access_token")


def credential_in_query(request: web.Request, config: SimConfig) -> bool:
    """A credential's name or value in the query string, where logs and proxies can read it."""
    secrets_ = {config.nb_token, *config.an_keys}
    return any(
        key.lower() in CREDENTIAL_PARAMS or value in secrets_
        for key, value in request.query.items()
    )


def json_error(
    status: int, payload: dict[str, str], headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(payload), content_type="application/json", headers=headers
    )


async def inject_fault(
    request: web.Request,
    api: str,
    config: SimConfig,
    rng: random.Random,
    stats: Stats,
    handler: Handler,
) -> web.StreamResponse | None:
    """Roll for each configured fault; return the faulty response, or None to serve normally."""
    for kind, rate in config.faults.items():
        if rate <= 0 or rng.random() >= rate:
            continue
        stats.faults[f"{api}:{kind}"] += 1
        if kind.startswith("http_"):
            status = int(kind[5:])
            code, message = NB_FAULT_BODIES[status]
            wait = config.fault_retry_after
            return json_error(
                status,
                {"code": code, "message": message}
                if api == "nationbuilder"
                else {"error": message},
                None if wait is None else {"Retry-After": f"{wait:g}"},
            )
        if kind == "stall":
            await asyncio.sleep(config.stall_seconds)
            return None
        if kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if kind == "truncate":
            response = await handler(request)
            body = getattr(response, "body", b"") or b""
            cut = bytes(body)[: max(1, len(body) // 2)]
            return web.Response(
                body=cut, status=response.status, content_type=response.content_type
            )
    return None


def guard(api: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware for one API's sub-application."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        stats: Stats = request.app[STATS]
        stats.arrived(api)
        try:
            return await serve(request, handler)
        finally:
            stats.answered(api)

    async def serve(request: web.Request, handler: Handler) -> web.StreamResponse:
        app = request.app
        config: SimConfig = app[CONFIG]
        stats: Stats = app[STATS]
        route = (
            request.match_info.route.resource.canonical
            if request.match_info.route.resource
            else request.path
        )
        if credential_in_query(request, config):
            stats.credentials_in_query[api] += 1
        stats.by_route[f"{api} {request.method} {route.removeprefix(app[PREFIX])}"] += 1
        stats.by_path[f"{api} {request.method} {request.path.removeprefix(app[PREFIX])}"] += 1
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        while api in config.held:
            await asyncio.sleep(0.02)
        if api == "nationbuilder":
            if request.path.endswith("/oauth/token"):
                return await handler(request)
            token = nb_token(request)
            problem = app[AUTH].check(token)
            if problem:
                stats.unauthorized[api] += 1
                message = (
                    "Your access token has expired."
                    if problem == "token_expired"
                    else "You are not authorized to access this content. "
                    "Your access token may be missing."
                )
                return json_error(401, {"code": problem, "message": message})
            allowed, headers = app[LIMITS].nationbuilder(token or "")
        else:
            key = request.headers.get("OSDI-API-Token")
            if key not in config.an_keys:
                stats.unauthorized[api] += 1
                return json_error(401, {"error": "API Key invalid or not present"})
            allowed, headers = app[LIMITS].action_network(key or "")
            if config.an_deep_page_ms and request.query.get("page", "").isdigit():
                await asyncio.sleep(config.an_deep_page_ms * int(request.query["page"]) / 1000)
        if not allowed:
            stats.throttled[api] += 1
            message = "You have made too many requests. Please try again later."
            return json_error(
                429, {"message": message} if api == "nationbuilder" else {"error": message}, headers
            )
        response = await inject_fault(
            request, api, config, app[FAULT_RNG], stats, handler
        ) or await handler(request)
        response, spoiled = await spoil(request, api, config.bad_input, handler, response)
        if spoiled:
            stats.bad_input[f"{api}:{spoiled}"] += 1
        response.headers.update(headers)
        return response

    return middleware
