"""Request, retry, throttle and record counters, per API and per resource, for run summaries."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Counters:
    """What one API (or one resource of it) cost and yielded during a run."""

    requests: int = 0
    retries: int = 0
    responses_429: int = 0
    # Wall-clock time during which at least one request waited on the rate limiter: requests
    # wait side by side, so the sum of their waits would exceed the run's own length.
    limiter_wait_seconds: float = 0.0
    bytes_received: int = 0
    records: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_request_at: float | None = None
    last_response_at: float | None = None
    waited_until: float = 0.0

    @property
    def active_seconds(self) -> float:
        """From the first request sent to the last response read: how long this took."""
        if self.first_request_at is None or self.last_response_at is None:
            return 0.0
        return max(0.0, self.last_response_at - self.first_request_at)

    def add_wait(self, started: float, ended: float) -> None:
        """Counts a wait that ended now, without the part other waits already covered."""
        self.limiter_wait_seconds += max(0.0, ended - max(started, self.waited_until))
        self.waited_until = max(self.waited_until, ended)

    def as_dict(self) -> dict[str, Any]:
        counts = asdict(self)
        counts["limiter_wait_seconds"] = round(self.limiter_wait_seconds, 3)
        counts["active_seconds"] = round(self.active_seconds, 3)
        del counts["first_request_at"], counts["last_response_at"], counts["waited_until"]
        return counts


class ApiStats:
    """Counters for one client; every event counts toward the API total and its resource."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.total = Counters()
        self.resources: dict[str, Counters] = {}

    def for_resource(self, resource: str) -> Counters:
        """The counters of one resource (created empty on first use)."""
        return self.resources.setdefault(resource, Counters())

    def on_request(self, resource: str | None, waited: float) -> None:
        now = time.monotonic()
        for counters in self._targets(resource):
            counters.requests += 1
            if waited > 0:
                counters.add_wait(now - waited, now)
            if counters.first_request_at is None:
                counters.first_request_at = now - waited

    def on_response(self, resource: str | None, size: int) -> None:
        now = time.monotonic()
        for counters in self._targets(resource):
            counters.bytes_received += size
            counters.last_response_at = now

    def on_failure(self, resource: str | None, kind: str) -> None:
        for counters in self._targets(resource):
            counters.errors[kind] = counters.errors.get(kind, 0) + 1
            if kind == "http_429":
                counters.responses_429 += 1

    def on_retry(self, resource: str | None) -> None:
        for counters in self._targets(resource):
            counters.retries += 1

    def add_records(self, count: int, resource: str | None = None) -> None:
        """Counts records handed to the pipeline (the paginators call this for every page)."""
        for counters in self._targets(resource):
            counters.records += count

    def as_dict(self) -> dict[str, Any]:
        return {
            "api": self.api,
            **self.total.as_dict(),
            "resources": {name: c.as_dict() for name, c in sorted(self.resources.items())},
        }

    def _targets(self, resource: str | None) -> tuple[Counters, ...]:
        if resource is None:
            return (self.total,)
        return (self.total, self.for_resource(resource))
