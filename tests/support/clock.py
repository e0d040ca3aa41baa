"""An event loop on virtual time: sleeps end at once, in order, and the clock jumps ahead.

Code that only waits on timers (a rate limiter, a backoff) runs in microseconds and its timing
is exact and the same on any machine, so a test can assert when each step happened.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sources.http.limiter import Clock

T = TypeVar("T")
EPOCH = 1_800_000_000.0  # what `wall()` reads at virtual time 0


class _Selector(selectors.DefaultSelector):
    """Instead of blocking until the next timer, moves the loop's clock to it."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if not ready and timeout and self.loop is not None:
            self.loop.now += timeout
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = _Selector()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0

    def time(self) -> float:
        return self.now


class VirtualClock(Clock):
    """The limiter's clock on the running virtual loop."""

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> float:
        return EPOCH + self.monotonic()


def run_virtual(main: Callable[[], Awaitable[T]]) -> T:
    """Runs `main()` on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()
