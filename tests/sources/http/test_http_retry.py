"""RetryPolicy backoff bounds, Retry-After parsing and which exceptions are transient."""

from __future__ import annotations

import ssl
from email.utils import formatdate

import aiohttp
import orjson
import pytest

from sources.http import RetryPolicy, parse_retry_after
from sources.http.retry import exception_kind


def test_backoff_stays_within_the_full_jitter_ceiling() -> None:
    policy = RetryPolicy(max_attempts=8, base=0.5, cap=30.0)
    for attempt in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2, "jitter should spread over the whole range"


def test_retry_after_overrides_backoff_and_is_clamped() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=3600.0) == 60.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("5", 5.0), ("0.25", 0.25), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_parse_retry_after_reads_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_reads_an_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 20, usegmt=True), now=now) == pytest.approx(20.0)
    assert parse_retry_after(formatdate(now - 20, usegmt=True), now=now) == 0.0


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError(), "timeout"),
        (aiohttp.ServerTimeoutError(), "timeout"),
        (aiohttp.ServerDisconnectedError(), "connection"),
        (aiohttp.ClientConnectionError(), "connection"),
        (aiohttp.ClientPayloadError(), "payload"),
        (orjson.JSONDecodeError("bad", "{", 1), "invalid_json"),
        (ValueError("bug"), None),
        (aiohttp.ClientSSLError(None, ssl.SSLError()), None),  # type: ignore[arg-type]
    ],
)
def test_exception_kind_separates_transient_from_fatal(exc: Exception, kind: str | None) -> None:
    assert exception_kind(exc) == kind


def test_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
