"""ApiClient: throttled, retried, secret-free JSON requests over one session per event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDictProxy
from yarl import URL

from sources.http.errors import (
    ApiError,
    AuthError,
    FatalHttpError,
    RetriesExhaustedError,
    redact_url,
)
from sources.http.limiter import TokenBucket
from sources.http.looplocal import PerLoop
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
_TOKEN_EXPIRED = "token_expired"
_MIN_SECRET = 4


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
    """NB said token_expired and a refresh hook exists: refresh, then try again."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.kind)
        self.failure = failure


class ApiClient:
    """The only way the project talks HTTP: throttled before sending, retried, typed errors.

    Share one client per credential (see ClientRegistry): its TokenBucket is the credential's
    whole budget. An aiohttp session is created lazily inside each event loop that calls (dlt runs
    each extraction on a new loop in a worker thread), so `close()` is always safe: the next
    request simply opens a new session. A session nobody closed is closed by its loop's
    `shutdown_asyncgens()`, and one whose loop closed anyway is dropped on the next request.
    """

    def __init__(
        self, settings: ApiSettings, *, session_factory: SessionFactory | None = None
    ) -> None:
        self.settings = settings
        self.limiter = TokenBucket(settings.rate, settings.burst, margin=settings.window_margin)
        self.stats = ApiStats(settings.api)
        self.policy = RetryPolicy(
            settings.max_attempts, settings.backoff_base, settings.backoff_cap
        )
        self._session_factory = session_factory or default_session
        self._sessions: dict[asyncio.AbstractEventLoop, _LoopSession] = {}
        self._headers = dict(settings.headers)
        self._secrets = _secret_values(self._headers)
        self._generation = 0
        self._failed_refresh: int | None = None
        self._slots = PerLoop(lambda: asyncio.Semaphore(settings.max_in_flight))
        self._refresh_lock: PerLoop[asyncio.Lock] = PerLoop(asyncio.Lock)

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
            generation = self._generation
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
        """Closes the sessions of every loop; safe to call repeatedly and from any loop."""
        sessions, self._sessions = self._sessions, {}
        for held in sessions.values():
            await held.close()

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
        if reply.status == 401 and failure.code == _TOKEN_EXPIRED and self.settings.on_unauthorized:
            raise _TokenExpired(failure)
        if reply.status in (401, 403):
            raise self._error(AuthError, call, failure)
        if reply.status in RETRYABLE_STATUSES:
            raise _Transient(failure)
        raise self._error(FatalHttpError, call, failure)

    async def _send(self, call: _Call) -> _Reply:
        session = await self._session_for_loop()
        headers = dict(self._headers)
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        async with self._slots.get():
            permit = await self.limiter.acquire()
            self.stats.on_request(call.resource, permit.waited)
            try:
                # Redirects are not followed: aiohttp would forward OSDI-API-Token to any host.
                async with session.request(
                    call.method, call.url, data=call.body, headers=headers, allow_redirects=False
                ) as response:
                    body = await response.read()
                    reply = _Reply(response.status, response.reason or "", body, response.headers)
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
        code, message = error_fields(reply.body, reply.reason)
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
        if failure.status == 429:
            # The budget belongs to the credential, not this task: hold back every sender.
            self.limiter.pause_for(delay)
        else:
            await asyncio.sleep(delay)

    async def _refresh(self, generation: int) -> bool:
        """Asks the hook for new headers once per expired token, however many tasks saw it."""
        hook = self.settings.on_unauthorized
        async with self._refresh_lock.get():
            if self._generation != generation:
                return True
            if hook is None or self._failed_refresh == generation:
                return False
            headers = await hook()
            if not headers:
                self._failed_refresh = generation
                return False
            self._headers = dict(headers)
            self._secrets |= _secret_values(self._headers)
            self._generation += 1
            return True

    async def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        held = self._sessions.get(loop)
        if held is not None and not held.session.closed:
            return held.session
        # Register before awaiting so concurrent first requests all share the new session.
        held = self._sessions[loop] = _LoopSession(self._session_factory(self.settings), loop)
        await held.start()
        for old_loop, old in list(self._sessions.items()):
            if old_loop.is_closed():
                del self._sessions[old_loop]
                await old.close()
        return held.session

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _error(self, kind: type[ApiError], call: _Call, failure: Failure) -> ApiError:
        api, status = self.settings.api, failure.status
        return kind(api, call.method, call.shown, status, failure.code, failure.message)

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


def error_fields(body: bytes, reason: str) -> tuple[str | None, str]:
    """(code, message) from NB `{code,message}`, NB 422 `{errors:[...]}`, AN `{error}` or text."""
    fallback_code = "_".join(reason.lower().split()) or None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return fallback_code, body.decode("utf-8", "replace")
    if not isinstance(doc, dict):
        return fallback_code, ""
    errors = doc.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("code") or fallback_code), str(first.get("detail") or "")
    code = doc.get("code")
    message = doc.get("message") or doc.get("error") or ""
    return (str(code) if code else fallback_code), str(message)


def _rate_limit(headers: CIMultiDictProxy[str]) -> tuple[int | None, float | None]:
    try:
        remaining = int(headers["RateLimit-Remaining"])
        reset = float(headers["RateLimit-Reset"])
    except (KeyError, ValueError):
        return None, None
    return remaining, reset


def _secret_values(headers: Mapping[str, str]) -> set[str]:
    """Header values and their last word ("Bearer <token>"), long enough to be worth masking."""
    values = set(headers.values()) | {v.split()[-1] for v in headers.values() if v.split()}
    return {v for v in values if len(v) >= _MIN_SECRET}


class _LoopSession:
    """A session and the loop it belongs to, closed by that loop's shutdown if nobody else does.

    asyncio.run() and dlt's extraction loop both call `loop.shutdown_asyncgens()` before closing
    the loop; a parked async generator is finalized there, inside the right loop, so sockets are
    released even when no caller remembered `close()`.
    """

    def __init__(self, session: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop) -> None:
        self.session = session
        self.loop = loop
        self._closer = self._close_on_shutdown()

    async def start(self) -> None:
        await anext(self._closer)

    async def close(self) -> None:
        """Closes the session without running anything on a loop other than its own."""
        current = asyncio.get_running_loop()
        if self.loop is current:
            await self._closer.aclose()
        elif self.loop.is_closed():
            # On a closed loop aiohttp skips the dead transports and just marks itself closed.
            await self.session.close()
        elif self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self.session.close(), self.loop)
        else:
            self.session.detach()

    async def _close_on_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self.session.close()
