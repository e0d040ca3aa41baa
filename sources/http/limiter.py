"""Client-side throttling: one budget per credential, shared by every task and thread using it.

Requests are spaced out *before* they are sent. Each `acquire()` reserves the next send time
under a thread lock (a generic cell rate algorithm: `rate` per second, up to `burst` at once), so
waiters are served in the order they asked, from any event loop, and nothing asyncio-specific is
shared between threads: each waiter sleeps on its own loop.

Three things can hold a request back: the budget itself, a pause after a 429 (`pause_for`,
which every sender obeys), and the server's own fixed window (`observe`, fed from NationBuilder's
`RateLimit-Remaining`/`RateLimit-Reset`). The window is tracked exactly rather than guessed: a
response to the request sent n-th says what was left once the server had counted it, so what is
left now is that minus the requests sent after it. A small `margin` is kept unspent, because a
server can count a request that crossed its window boundary in the new window.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

# A RateLimit-Reset below this is a delay in seconds, not an epoch (some servers send deltas).
_EPOCH_FLOOR = 1_000_000_000.0


class Clock:
    """Where the limiter reads the time and waits; tests pass one running on virtual time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        """Epoch seconds, the clock servers state their window resets in."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = Clock()


@dataclass(frozen=True)
class Permit:
    """Leave to send one request: its place in the send order, and how long it waited."""

    sequence: int
    waited: float


class TokenBucket:
    """The send budget of one credential (see the module docstring)."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        reset_grace: float = 0.1,
        margin: int = 0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate} burst={burst}")
        self.rate = rate
        self.burst = burst
        # Sleep a little past the server's reset, so a timer firing early cannot land in the old
        # window (and clocks a little apart do not matter).
        self.reset_grace = reset_grace
        self.margin = margin
        self.clock = clock
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) / rate
        self._lock = threading.Lock()
        self._next_free: float | None = None  # the theoretical time of the next send
        self._paused_until = 0.0
        self._pauses = 0
        self._in_flight = 0
        self._sent = 0
        # The server's window: when it ends (on our monotonic clock) and how many requests it
        # still takes from us; None when unknown (no response told, or a new window began).
        self._window_end = 0.0
        self._window_left: int | None = None

    @property
    def in_flight(self) -> int:
        """Requests acquired but not yet released."""
        return self._in_flight

    async def acquire(self) -> Permit:
        """Waits for leave to send one request. Call `release()` once its answer (or failure)
        is in, and pass `permit.sequence` to `observe()` with that answer's headers."""
        started = self.clock.monotonic()
        with self._lock:
            self._in_flight += 1
            send_at, pauses = self._reserve(started), self._pauses
        try:
            while True:
                delay = send_at - self.clock.monotonic()
                if delay > 0:
                    await self.clock.sleep(delay)
                with self._lock:
                    now = self.clock.monotonic()
                    # A pause or a spent window that began while this request waited moves it.
                    if (pauses != self._pauses and now < self._paused_until) or self._spent(now):
                        send_at, pauses = self._reserve(now), self._pauses
                        continue
                    self._sent += 1
                    if self._window_left is not None:
                        self._window_left -= 1
                    return Permit(self._sent, now - started)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Marks one acquired request as finished."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def pause_for(self, seconds: float) -> None:
        """Holds back every sender for `seconds` from now (after a 429); pauses only extend."""
        with self._lock:
            until = self.clock.monotonic() + max(seconds, 0.0)
            if until > self._paused_until:
                self._paused_until = until
                self._pauses += 1

    def observe(self, remaining: int | None, reset: float | None, sequence: int) -> None:
        """Learns the server's window from the answer to request number `sequence`.

        `remaining` is what the window (ending at `reset`, epoch seconds or a delay) had left
        once the server counted that request; the requests sent after it are not in it yet.
        Within one window the lowest figure wins, since answers arrive out of order.
        """
        if remaining is None or reset is None:
            return
        wall = self.clock.wall()
        if reset < _EPOCH_FLOOR:
            reset += wall
        if reset <= wall:
            return
        with self._lock:
            end = self.clock.monotonic() + (reset - wall)
            left = remaining - (self._sent - sequence)
            if abs(end - self._window_end) < 0.5 and self._window_left is not None:
                left = min(left, self._window_left)
            elif end < self._window_end:
                return  # an answer from a window that has already been replaced
            self._window_end, self._window_left = end, left

    def _spent(self, now: float) -> bool:
        """Whether the server's window takes no more from us before it ends."""
        if self._window_left is None:
            return False
        if now >= self._window_end:
            self._window_left = None  # a new window: unknown until an answer says
            return False
        return self._window_left <= self.margin

    def _reserve(self, now: float) -> float:
        """The send time of the next request in line (caller holds the lock)."""
        earliest = max(now, self._paused_until)
        if self._spent(earliest):
            earliest = self._window_end + self.reset_grace
        if self._next_free is None:
            self._next_free = earliest
        send_at = max(earliest, self._next_free - self._tolerance)
        self._next_free = max(self._next_free, send_at) + self._interval
        return send_at
