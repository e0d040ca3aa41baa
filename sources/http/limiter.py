"""Client-side throttling: a fair token bucket that also obeys the server's rate-limit signals."""

from __future__ import annotations

import asyncio
import time

from sources.http.looplocal import PerLoop

# A RateLimit-Reset below this is a delay in seconds, not an epoch (some servers send deltas).
_EPOCH_FLOOR = 1_000_000_000.0


class TokenBucket:
    """Spaces requests out *before* they are sent, shared by every task using one credential.

    Waiters are served first come, first served (asyncio.Lock is FIFO), so concurrent resources
    share the budget evenly instead of one greedy paginator starving the rest. Three things can
    hold a request back: the bucket itself (`rate` per second, up to `burst` at once), a pause
    set after a 429 (`pause_until`), and the server's own window (`observe`, fed from NB's
    `RateLimit-Remaining`/`RateLimit-Reset` headers).

    State lives in plain attributes and the lock is made per event loop, so one bucket can be
    built anywhere and used from whichever loop dlt runs the resources on (one loop at a time).
    """

    def __init__(self, rate: float, burst: int = 1, *, reset_grace: float = 0.1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate} burst={burst}")
        self.rate = rate
        self.burst = burst
        # Sleep a little past the server's reset so a timer that fires early cannot land in the
        # old window.
        self.reset_grace = reset_grace
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self._in_flight = 0
        self._allowance: int | None = None
        self._window_reset = 0.0
        self._lock: PerLoop[asyncio.Lock] = PerLoop(asyncio.Lock)

    @property
    def in_flight(self) -> int:
        """Requests acquired but not yet released."""
        return self._in_flight

    async def acquire(self) -> float:
        """Waits for permission to send one request; returns the seconds spent waiting.

        The caller must call `release()` once the response (or failure) is in.
        """
        started = time.monotonic()
        async with self._lock.get():
            while (delay := self._delay()) > 0:
                await asyncio.sleep(delay)
            self._tokens -= 1
            self._in_flight += 1
            if self._allowance is not None:
                self._allowance -= 1
        return time.monotonic() - started

    def release(self) -> None:
        """Marks one acquired request as finished, so the window estimate stops counting it."""
        self._in_flight = max(0, self._in_flight - 1)

    def pause_until(self, deadline: float) -> None:
        """Holds back every sender until `deadline` (time.monotonic()); pauses only extend."""
        self._paused_until = max(self._paused_until, deadline)

    def observe(self, remaining: int | None, reset_epoch: float | None) -> None:
        """Learns the server's window from a response so the client stops before a 429.

        `remaining` counts what is left of the window that ends at `reset_epoch` (epoch seconds).
        Requests still in flight may not be counted in it yet, so they are subtracted; within one
        window the lowest estimate wins, because responses can arrive out of order.
        """
        if remaining is None or reset_epoch is None:
            return
        now = time.time()
        if reset_epoch < _EPOCH_FLOOR:
            reset_epoch += now
        if reset_epoch <= now or reset_epoch < self._window_reset:
            return
        estimate = remaining - self._in_flight
        if reset_epoch == self._window_reset and self._allowance is not None:
            estimate = min(estimate, self._allowance)
        self._allowance = estimate
        self._window_reset = reset_epoch

    def _delay(self) -> float:
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        window_wait = self._window_wait()
        if window_wait > 0:
            return window_wait
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def _window_wait(self) -> float:
        if self._allowance is None:
            return 0.0
        left = self._window_reset - time.time()
        if left <= 0:
            # A new window has started: its budget is unknown until the next response says.
            self._allowance = None
            return 0.0
        return 0.0 if self._allowance > 0 else left + self.reset_grace
