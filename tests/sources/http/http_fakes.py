"""Purpose-built aiohttp servers on 127.0.0.1 for the HTTP layer tests (real sockets, no mocks)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sources.action_network.client import action_network_settings
from sources.http import ApiSettings
from sources.nationbuilder.client import nationbuilder_settings

TOKEN = "tok-5ecret-abcdef123456"
NB_PREFIX = "/nationbuilder"
AN_PREFIX = "/action_network/api/v2"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fast_settings(base_url: str, api: str = "nationbuilder", **overrides: Any) -> ApiSettings:
    """An API's own settings (its error bodies, its hints) with a loose limiter and millisecond
    backoff, so tests stay quick; the credential is always a Bearer TOKEN."""
    presets = nationbuilder_settings if api == "nationbuilder" else action_network_settings
    values: dict[str, Any] = {
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "rate": 1000.0,
        "burst": 100,
        "max_in_flight": 8,
        "read_timeout": 0.5,
        "max_attempts": 5,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
    }
    values.update(overrides)
    return presets(base_url, TOKEN, **values)


@dataclass
class Faults:
    """The n-th hit of a key gets the n-th planned fault; hits past the plan are served."""

    plan: dict[Hashable, list[str]] = field(default_factory=dict)
    stall_seconds: float = 1.5
    hits: defaultdict[Hashable, int] = field(default_factory=lambda: defaultdict(int))
    injected: list[tuple[Hashable, str]] = field(default_factory=list)

    async def apply(self, key: Hashable, request: web.Request) -> web.StreamResponse | None:
        """A faulty response for this hit, or None to serve it normally."""
        hit = self.hits[key]
        self.hits[key] += 1
        planned = self.plan.get(key, [])
        if hit >= len(planned):
            return None
        kind = planned[hit]
        self.injected.append((key, kind))
        return await inject(kind, request, self.stall_seconds)


async def inject(
    kind: str, request: web.Request, stall_seconds: float
) -> web.StreamResponse | None:
    """One transport or server fault, as a real server would produce it."""
    if kind.isdigit():
        body = {"code": "server_error", "message": f"injected {kind}"}
        headers = {"Retry-After": "0.05"} if kind == "429" else {}
        return web.json_response(body, status=int(kind), headers=headers)
    if kind == "reset":
        assert request.transport is not None
        request.transport.close()
        raise web.HTTPInternalServerError()
    if kind == "truncated":
        return web.Response(body=b'{"data": [{"id": "1", "ty', content_type="application/json")
    if kind == "payload":
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b'{"data": [')
        assert request.transport is not None
        request.transport.close()
        return response
    if kind == "stall":
        await asyncio.sleep(stall_seconds)
        return None
    raise ValueError(f"unknown fault {kind}")


def _authorized(request: web.Request) -> web.Response | None:
    if request.headers.get("Authorization") == f"Bearer {TOKEN}":
        return None
    body = {"code": "unauthorized", "message": "You are not authorized"}
    return web.json_response(body, status=401)


def nb_signups(count: int, start: int = 1) -> list[dict[str, Any]]:
    return [
        {"id": str(i), "type": "signups", "attributes": {"email": f"p{i}@example.org"}}
        for i in range(start, start + count)
    ]


@dataclass
class NbV2Server:
    """NB v2 `/api/v2/signups`: JSON:API paging where `next` outlives the data."""

    records: list[dict[str, Any]]
    faults: Faults = field(default_factory=Faults)
    count_supported: bool = True
    ignore_page_number: bool = False
    after_first_page: list[dict[str, Any]] = field(default_factory=list)
    latency: float = 0.0
    pages_requested: list[int] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"{NB_PREFIX}/api/v2/signups", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        denied = _authorized(request)
        if denied is not None:
            return denied
        number = int(request.query.get("page[number]", "1"))
        self.pages_requested.append(number)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            faulty = await self.faults.apply(number, request)
            return faulty or self.page(request, number)
        finally:
            self.in_flight -= 1

    def page(self, request: web.Request, number: int) -> web.Response:
        size = int(request.query.get("page[size]", "20"))
        shown = 1 if self.ignore_page_number else number
        data = self.records[(shown - 1) * size : shown * size]
        body: dict[str, Any] = {"data": data, "links": {"self": str(request.rel_url)}, "meta": {}}
        if data:
            body["links"]["next"] = f"/api/v2/signups?page[number]={number + 1}&page[size]={size}"
        if self.count_supported and "stats[total]" in request.query:
            body["meta"] = {"stats": {"total": {"count": len(self.records)}}}
        if number == 1 and self.after_first_page:
            self.records.extend(self.after_first_page)
            self.after_first_page = []
        return web.json_response(body, content_type="application/vnd.api+json")


@dataclass
class NbV1Server:
    """NB v1 `/api/v1/lists/11/people`: opaque `next` paths carrying `__nonce` and `__token`."""

    records: list[dict[str, Any]]
    faults: Faults = field(default_factory=Faults)
    repeat_next: bool = False
    limits_seen: list[int] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"{NB_PREFIX}/api/v1/lists/11/people", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        denied = _authorized(request)
        if denied is not None:
            return denied
        offset = int(request.query.get("__token", "o0")[1:])
        faulty = await self.faults.apply(offset, request)
        if faulty is not None:
            return faulty
        limit = int(request.query.get("limit", "10"))
        self.limits_seen.append(limit)
        results = self.records[offset : offset + limit]
        after = limit if self.repeat_next else offset + limit
        more = after < len(self.records) or self.repeat_next
        next_path = f"/api/v1/lists/11/people?__nonce=n{after}&__token=o{after}" if more else None
        return web.json_response({"next": next_path, "prev": None, "results": results})


def an_people(count: int) -> list[dict[str, Any]]:
    return [
        {"identifiers": [f"action_network:{i:08d}-0000"], "given_name": f"P{i}"}
        for i in range(1, count + 1)
    ]


@dataclass
class HalServer:
    """AN `/people`-style HAL collection, with or without totals (people omits them)."""

    records: list[dict[str, Any]]
    embedded_key: str = "osdi:people"
    with_totals: bool = True
    faults: Faults = field(default_factory=Faults)
    ignore_page: bool = False
    pages_requested: list[int] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"{AN_PREFIX}/people", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("OSDI-API-Token") != TOKEN:
            return web.json_response({"error": "API Key invalid or not present"}, status=401)
        number = int(request.query.get("page", "1"))
        self.pages_requested.append(number)
        faulty = await self.faults.apply(number, request)
        if faulty is not None:
            return faulty
        per_page = int(request.query.get("per_page", "25"))
        shown = 1 if self.ignore_page else number
        chunk = self.records[(shown - 1) * per_page : shown * per_page]
        total_pages = -(-len(self.records) // per_page)
        body: dict[str, Any] = {"per_page": per_page, "page": number}
        links: dict[str, Any] = {"self": {"href": str(request.url)}}
        # Like AN people, a collection without totals links next even from its last page.
        if not self.with_totals or number < total_pages:
            links["next"] = {"href": str(request.url.update_query(page=number + 1))}
        if self.with_totals:
            body.update(total_pages=total_pages, total_records=len(self.records))
        body["_links"] = links
        body["_embedded"] = {self.embedded_key: chunk}
        return web.json_response(body, content_type="application/hal+json")


@dataclass
class WindowServer:
    """NB-like fixed window: `limit` requests per `window` seconds, 429 beyond it."""

    limit: int
    window: float = 1.0
    counts: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    served: int = 0
    rejected: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"{NB_PREFIX}/api/v2/ping", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        slot = int(time.time() // self.window)
        self.counts[slot] += 1
        reset = (slot + 1) * self.window
        remaining = max(self.limit - self.counts[slot], 0)
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": f"{reset:.3f}",
        }
        if self.counts[slot] > self.limit:
            self.rejected += 1
            headers["Retry-After"] = str(max(reset - time.time(), 0.0))
            body = {"message": "You have made too many requests. Please try again later."}
            return web.json_response(body, status=429, headers=headers)
        self.served += 1
        await asyncio.sleep(0.005)
        return web.json_response({"ok": True}, headers=headers)


def single_route(path: str, handler: Handler, method: str = "GET") -> web.Application:
    """An app with one handler, for tests that script responses by hand."""
    app = web.Application()
    app.router.add_route(method, path, handler)
    return app
