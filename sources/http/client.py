"""ApiClient: throttled, retried, secret-free JSON requests over one session on one event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDictProxy
from yarl import URL

from sources.http.credential import Credential
from sources.http.errors import (
    ApiError,
    AuthError,
    FatalHttpError,
    NotFoundError,
    RetriesExhaustedError,
    redact_url,
)
from sources.http.limiter import TokenBucket
from sources.http.retry import (
    RETRYABLE_STATUSES,
    Failure,
    RetryPolicy,
    exception_kind,
    parse_retry_after,
)
from sources.http.settings import ApiSettings
from sources.http.stats import ApiStats

Params = Mapping[str, str | int]
SessionFactory = Callable[[ApiSettings], aiohttp.ClientSession]

_log = logging.getLogger(__name__)


def default_session(settings: ApiSettings) -> aiohttp.ClientSession:
    """The production session: pooled to `max_in_flight`, explicit timeouts, no cookies.

    Auth headers are not set here but per request, so a refreshed NB token takes effect at once.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=settings.max_in_flight),
        timeout=aiohttp.ClientTimeout(
            total=settings.timeout,
            connect=settings.connect_timeout,
            sock_read=settings.read_timeout,
        ),
        headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
        cookie_jar=aiohttp.DummyCookieJar(),
    )


@dataclass(frozen=True)
class _Call:
    method: str
    url: URL
    shown: str
    body: bytes | None
    resource: str | None


@dataclass(frozen=True)
class _Reply:
    status: int
    reason: str
    body: bytes
    headers: CIMultiDictProxy[str]


class _Transient(Exception):
    """An attempt failed in a way that another attempt may fix."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.kind)
        self.failure = failure


class _TokenExpired(Exception):
    """A 401 the settings say a refresh can fix, and a refresh hook exists: refresh, retry."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.kind)
        self.failure = failure


class ApiClient:
    """The only way the project talks HTTP: throttled before sending, retried, typed errors.

    A client belongs to the event loop it first sends on (its aiohttp session, its locks);
    what is shared between loops and threads, the credential's rate budget, counters and auth
    headers, lives in its `Credential`. Open one per loop (`async with`), or share one between
    the tasks of a loop with `SharedClient`.
    """

    def __init__(
        self,
        credential: Credential | ApiSettings,
        *,
        session_factory: SessionFactory | None = None,
    ) -> None:
        if isinstance(credential, ApiSettings):
            credential = Credential(credential)
        self.credential = credential
        self.settings = credential.settings
        self.policy = RetryPolicy(
            self.settings.max_attempts, self.settings.backoff_base, self.settings.backoff_cap
        )
        self._session_factory = session_factory or credential.session_factory or default_session
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._refreshing: asyncio.Lock | None = None

    @property
    def limiter(self) -> TokenBucket:
        return self.credential.limiter

    @property
    def stats(self) -> ApiStats:
        return self.credential.stats

    def pages_ahead(self) -> int:
        """How many pages a paginator should have asked for at once (see inflight.py)."""
        return self.credential.in_flight.value()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def get_json(
        self, path_or_url: str, params: Params | None = None, *, resource: str | None = None
    ) -> Any:
        """GETs a path (joined to base_url) or an absolute URL on the same origin; parsed JSON."""
        return await self.request_json("GET", path_or_url, params, resource=resource)

    async def request_json(
        self,
        method: str,
        path_or_url: str,
        params: Params | None = None,
        json_body: Any = None,
        *,
        resource: str | None = None,
    ) -> Any:
        """Sends one request, retrying transient failures; parsed JSON, or None for 204.

        Raises AuthError (401/403), FatalHttpError (anything retrying cannot fix) or
        RetriesExhaustedError.
        """
        call = self._call(method.upper(), path_or_url, params, json_body, resource)
        attempt = 1
        refreshed = False
        while True:
            generation = self.credential.generation
            try:
                return await self._attempt(call)
            except _TokenExpired as expired:
                if refreshed or not await self._refresh(generation):
                    raise self._error(AuthError, call, expired.failure) from None
                refreshed = True
            except _Transient as transient:
                if attempt >= self.policy.max_attempts:
                    raise self._exhausted(call, transient.failure, attempt) from None
                self.stats.on_retry(call.resource)
                await self._wait_before_retry(call, transient.failure, attempt)
                attempt += 1

    async def close(self) -> None:
        """Closes the session (on its own loop); the next request opens a new one."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _call(
        self,
        method: str,
        path_or_url: str,
        params: Params | None,
        json_body: Any,
        resource: str | None,
    ) -> _Call:
        url = self._resolve(method, path_or_url)
        if params:
            url = url.extend_query(params)
        body = None if json_body is None else orjson.dumps(json_body)
        return _Call(method, url, redact_url(url.path_qs), body, resource)

    def _resolve(self, method: str, path_or_url: str) -> URL:
        """Absolute URLs (HAL next links) are used as they are; paths go under base_url."""
        target = URL(path_or_url)
        if not target.absolute:
            return URL(self.settings.base_url.rstrip("/") + "/" + path_or_url.lstrip("/"))
        base = URL(self.settings.base_url)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            # Never send the credential to a host that a response body named.
            raise FatalHttpError(
                self.settings.api,
                method,
                target.path,
                code="foreign_origin",
                message=f"refusing to send credentials to {target.host}",
            )
        return target

    async def _attempt(self, call: _Call) -> Any:
        reply = await self._send(call)
        if 200 <= reply.status < 300:
            return self._parse(call, reply)
        failure = self._classify(reply)
        self.stats.on_failure(call.resource, failure.kind)
        refreshable = failure.code in self.settings.refresh_on and self.settings.on_unauthorized
        if reply.status == 401 and refreshable:
            raise _TokenExpired(failure)
        if reply.status in (401, 403):
            raise self._error(AuthError, call, failure)
        if reply.status in RETRYABLE_STATUSES:
            raise _Transient(failure)
        raise self._error(NotFoundError if reply.status == 404 else FatalHttpError, call, failure)

    async def _send(self, call: _Call) -> _Reply:
        session, slots = self._open()
        headers = self.credential.headers
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        async with slots:
            permit = await self.limiter.acquire()
            self.stats.on_request(call.resource, permit.waited)
            sent = time.monotonic()
            try:
                # Redirects are not followed: aiohttp would forward OSDI-API-Token to any host.
                async with session.request(
                    call.method, call.url, data=call.body, headers=headers, allow_redirects=False
                ) as response:
                    body = await response.read()
                    reply = _Reply(response.status, response.reason or "", body, response.headers)
                self.credential.in_flight.observe(time.monotonic() - sent)
            except Exception as exc:
                raise self._transport_error(call, exc) from exc
            finally:
                self.limiter.release()
        self.limiter.observe(*_rate_limit(reply.headers), permit.sequence)
        self.stats.on_response(call.resource, len(reply.body))
        return reply

    def _transport_error(self, call: _Call, exc: Exception) -> Exception:
        """Transient transport failures are retried; other aiohttp errors become typed, fatal."""
        kind = exception_kind(exc)
        if kind is None and not isinstance(exc, aiohttp.ClientError):
            return exc
        failure = Failure(kind or "client_error", None, type(exc).__name__, self._scrub(str(exc)))
        self.stats.on_failure(call.resource, failure.kind)
        return _Transient(failure) if kind else self._error(FatalHttpError, call, failure)

    def _parse(self, call: _Call, reply: _Reply) -> Any:
        if reply.status == 204 or (not reply.body.strip() and call.method != "GET"):
            return None
        try:
            return orjson.loads(reply.body)
        except orjson.JSONDecodeError as exc:
            self.stats.on_failure(call.resource, "invalid_json")
            # The parser's reason tells a cut-off body from an HTML page or a bad encoding.
            problem = f"body is not valid JSON ({len(reply.body)} bytes): {exc}"
            failure = Failure("invalid_json", reply.status, "invalid_json", problem)
            raise _Transient(failure) from None

    def _classify(self, reply: _Reply) -> Failure:
        code, message = self.settings.error_fields(reply.body, reply.reason)
        if 300 <= reply.status < 400:
            location = redact_url(reply.headers.get("Location", "?"))
            message = f"redirect to {location} not followed (check base_url)"
        return Failure(
            f"http_{reply.status}",
            reply.status,
            code,
            self._scrub(message),
            parse_retry_after(reply.headers.get("Retry-After")),
        )

    async def _wait_before_retry(self, call: _Call, failure: Failure, attempt: int) -> None:
        delay = self.policy.delay(attempt, failure.retry_after)
        # call.shown is redacted and failure.message scrubbed: safe to log.
        _log.warning(
            "%s: %s %s -> %s; retry %d of %d in %.2fs",
            self.settings.api,
            call.method,
            call.shown,
            " ".join(str(part) for part in (failure.status, failure.code) if part),
            attempt,
            self.policy.max_attempts - 1,
            delay,
            extra={
                "event": "retry",
                "source": self.settings.api,
                "resource": call.resource,
                "status": failure.status or failure.kind,
                "attempt": attempt,
                "delay_s": round(delay, 2),
            },
        )
        if failure.status == 429 or failure.kind == "timeout":
            self.credential.in_flight.shrink()
        if failure.status == 429:
            # The budget belongs to the credential, not this task: hold back every sender.
            self.limiter.pause_for(delay)
        else:
            await asyncio.sleep(delay)

    async def _refresh(self, generation: int) -> bool:
        """New auth headers once per expired token, however many tasks of this loop saw it."""
        if self._refreshing is None:
            self._refreshing = asyncio.Lock()
        async with self._refreshing:
            return await self.credential.refresh(generation)

    def _open(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        """The session and request slots of this client's loop, made on first use."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None and not self._loop.is_closed():
                raise RuntimeError("an ApiClient is used on one event loop only; open another")
            self._loop, self._session = loop, None
            self._slots = asyncio.Semaphore(self.settings.max_in_flight)
            self._refreshing = None
        if self._session is None or self._session.closed:
            self._session = self._session_factory(self.settings)
        assert self._slots is not None
        return self._session, self._slots

    def _scrub(self, text: str) -> str:
        return self.credential.scrub(text)

    def _error(self, kind: type[ApiError], call: _Call, failure: Failure) -> ApiError:
        api, status = self.settings.api, failure.status
        error = kind(api, call.method, call.shown, status, failure.code, failure.message)
        if isinstance(error, NotFoundError):
            error.hint = self.settings.not_found_hint
        if isinstance(error, AuthError):
            error.hint = self.settings.auth_hint
            refused = self.credential.refresh_error
            if refused is not None:
                answer = " ".join(str(p) for p in (refused.status, refused.code) if p)
                why = f": {refused.message}" if refused.message else ""
                error.hint = f"renewing it was refused ({answer}{why}); {error.hint}"
        return error

    def _exhausted(self, call: _Call, failure: Failure, attempts: int) -> RetriesExhaustedError:
        return RetriesExhaustedError(
            self.settings.api,
            call.method,
            call.shown,
            failure.status,
            failure.code,
            failure.message,
            attempts,
        )


def _rate_limit(headers: CIMultiDictProxy[str]) -> tuple[int | None, float | None]:
    try:
        remaining = int(headers["RateLimit-Remaining"])
        reset = float(headers["RateLimit-Reset"])
    except (KeyError, ValueError):
        return None, None
    return remaining, reset


class SharedClient:
    """One client for the resources of a source that run at once on one event loop.

    The first resource to start opens it and the last to finish closes it, so a run leaves no
    connection open behind it, and a later run (on a new loop) opens a new one.
    """

    def __init__(self, credential: Credential) -> None:
        self.credential = credential
        self._client: ApiClient | None = None
        self._users = 0

    @property
    def is_open(self) -> bool:
        return self._client is not None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[ApiClient]:
        if self._client is None:
            self._client = ApiClient(self.credential)
        client = self._client
        self._users += 1
        try:
            yield client
        finally:
            self._users -= 1
            if not self._users:
                self._client = None
                await client.close()
