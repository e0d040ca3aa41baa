"""What one API credential shares across every task, loop and thread that uses it.

A credential has one rate budget at the server, so its limiter is shared, and so is the number
of requests to keep in flight to use that budget (measured from its answers); its counters feed the
run summary; its auth headers change when a token is refreshed. Everything tied to an event loop
(the aiohttp session, locks) belongs to the client that loop opens, never to the credential.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from sources.http.errors import ApiError
from sources.http.inflight import InFlightTarget
from sources.http.limiter import TokenBucket
from sources.http.settings import ApiSettings
from sources.http.stats import ApiStats

_MIN_SECRET = 4


class Credential:
    """A credential's settings, rate budget, counters and current auth headers."""

    def __init__(
        self, settings: ApiSettings, *, session_factory: Callable[[ApiSettings], Any] | None = None
    ) -> None:
        self.settings = settings
        # How clients of this credential open their aiohttp session (tests record requests).
        self.session_factory = session_factory
        self.limiter = TokenBucket(settings.rate, settings.burst, margin=settings.window_margin)
        self.in_flight = InFlightTarget(settings.rate, high=settings.max_in_flight)
        self.stats = ApiStats(settings.api)
        self._lock = threading.Lock()
        self._headers = dict(settings.headers)
        self._secrets = secret_values(self._headers)
        self._generation = 0
        self._failed_refresh: int | None = None
        # Why the last refresh failed (the server's answer to it), for the one-line error.
        self.refresh_error: ApiError | None = None

    @property
    def headers(self) -> dict[str, str]:
        return dict(self._headers)

    @property
    def generation(self) -> int:
        """How many times the headers were renewed: a client notes it before each attempt."""
        return self._generation

    def scrub(self, text: str) -> str:
        """`text` with every secret this credential ever held masked."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    async def refresh(self, seen: int) -> bool:
        """New headers after the server refused generation `seen`; False when none can be had.

        Another task (or thread) may have refreshed already: then its headers are used. A hook
        that failed for a generation is not asked again for it.
        """
        hook = self.settings.on_unauthorized
        with self._lock:
            if self._generation != seen:
                return True
            if hook is None or self._failed_refresh == seen:
                return False
        try:
            headers = await hook()
        except ApiError as exc:  # the refresh itself was refused: say so, not just "expired"
            self.refresh_error, headers = exc, None
        with self._lock:
            if self._generation != seen:
                return True
            if not headers:
                self._failed_refresh = seen
                return False
            self._headers = dict(headers)
            self._secrets |= secret_values(self._headers)
            self._generation += 1
            return True


def secret_values(headers: Mapping[str, str]) -> set[str]:
    """Header values and their last word ("Bearer <token>"), long enough to be worth masking."""
    values = set(headers.values()) | {v.split()[-1] for v in headers.values() if v.split()}
    return {v for v in values if len(v) >= _MIN_SECRET}
