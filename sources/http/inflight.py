"""How many requests of one credential to keep in flight: enough to send at the rate limit.

A credential allowed `rate` requests per second, whose answers take `latency` seconds, keeps
the limit busy only with `rate * latency` requests in flight (Little's law): 4 pages at 25/s
and 150 ms, 13 at 500 ms. The latency is measured from the answers, so the number follows the
server (and the pages, which NationBuilder answers slower when they are large) without anyone
tuning it. A 429 or a timeout halves it, and it grows back as answers come in.
"""

from __future__ import annotations

import math
import threading

# Headroom over the bare product: answers vary, and a page parsed after its answer arrives
# still holds its place until the next one is asked for.
HEADROOM = 1.5
# Weight of the newest answer in the moving average of the latency.
SMOOTHING = 0.2
# Recovery per good answer after a shrink (a tenth of the way back each time).
RECOVERY = 0.1


class InFlightTarget:
    """The target number of requests in flight for one credential, shared by its paginators."""

    def __init__(self, rate: float, *, low: int = 2, high: int = 64) -> None:
        self.rate = rate
        self.low = low
        self.high = max(low, high)
        self._latency: float | None = None
        self._scale = 1.0
        self._lock = threading.Lock()

    @property
    def latency(self) -> float | None:
        """The moving average of answer times, seconds (None before the first answer)."""
        return self._latency

    def observe(self, seconds: float) -> None:
        """An answer took `seconds` from send to last byte."""
        with self._lock:
            if self._latency is None:
                self._latency = seconds
            else:
                self._latency += SMOOTHING * (seconds - self._latency)
            self._scale = min(1.0, self._scale + RECOVERY * (1.0 - self._scale) + 0.01)

    def shrink(self) -> None:
        """The server said slow down (429) or did not answer in time: halve the target."""
        with self._lock:
            self._scale = max(self._scale / 2, 1.0 / self.high)

    def value(self) -> int:
        """Requests to keep in flight now."""
        with self._lock:
            latency = self._latency if self._latency is not None else 0.0
            needed = math.ceil(self.rate * latency * HEADROOM) + 1
            return max(self.low, min(self.high, math.ceil(needed * self._scale)))
