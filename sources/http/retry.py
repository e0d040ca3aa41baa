"""Which failures are worth retrying, and how long to wait before the next attempt."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp
import orjson

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified once so retry, stats and the final error agree."""

    kind: str
    status: int | None
    code: str | None
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter, deferring to the server's Retry-After.

    Full jitter (a uniform draw up to the exponential ceiling) keeps concurrent tasks that failed
    together from retrying together.
    """

    max_attempts: int = 8
    base: float = 0.5
    cap: float = 30.0
    # A Retry-After longer than this is clamped: a nightly job should fail rather than hang.
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return random.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Reads Retry-After as delta seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - (time.time() if now is None else now), 0.0)


def exception_kind(exc: BaseException) -> str | None:
    """Names a transient transport failure, or None when retrying cannot help."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return None
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "payload"
    if isinstance(exc, aiohttp.ClientConnectionError):
        return "connection"
    if isinstance(exc, orjson.JSONDecodeError):
        return "invalid_json"
    return None
