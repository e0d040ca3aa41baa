"""Client-side throttling: one budget per credential, shared by every task and thread using it.

Requests are spaced out *before* they are sent: `rate` per second, up to `burst` at once (a
generic cell rate algorithm, judged at the moment each request leaves, so a loop that was busy
for a while does not then send everything it owed at once). Waiters take a ticket and leave in
ticket order, from any event loop; state is guarded by a thread lock and each waiter sleeps on
its own loop, so nothing asyncio-specific is shared between threads.

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
_TICK = 0.001


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
        self._tickets = 0  # handed out, one per waiter
        self._serving = 0  # the ticket whose holder may leave next
        self._abandoned: set[int] = set()
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
            ticket = self._tickets
            self._tickets += 1
        try:
            while True:
                with self._lock:
                    now = self.clock.monotonic()
                    position = ticket - self._serving
                    wait = self._wait(now, position)
                    if wait <= 0 and not position:
                        return self._take(now, started)
                # Behind others: about as long as they need, and a tick at least, in case the
                # head of the line is still asleep on a wait that has since become shorter.
                await self.clock.sleep(max(wait, _TICK if position else 0.0))
        except BaseException:
            with self._lock:
                self._give_up(ticket)
            self.release()
            raise

    def release(self) -> None:
        """Marks one acquired request as finished."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def pause_for(self, seconds: float) -> None:
        """Holds back every sender for `seconds` from now (after a 429); pauses only extend."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)

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

    def _wait(self, now: float, position: int) -> float:
        """Seconds until the waiter `position` places behind the head may go (lock held)."""
        due = self._paused_until
        if self._spent(now):
            due = max(due, self._window_end + self.reset_grace)
        if self._next_free is not None:
            due = max(due, self._next_free - self._tolerance + position * self._interval)
        return due - now

    def _take(self, now: float, started: float) -> Permit:
        """The head of the line leaves now (lock held)."""
        self._next_free = max(self._next_free or now, now) + self._interval
        self._sent += 1
        if self._window_left is not None:
            self._window_left -= 1
        self._next_in_line()
        return Permit(self._sent, now - started)

    def _next_in_line(self) -> None:
        self._serving += 1
        while self._serving in self._abandoned:
            self._abandoned.remove(self._serving)
            self._serving += 1

    def _give_up(self, ticket: int) -> None:
        """A waiter was cancelled: its place goes to the next one (lock held)."""
        if ticket == self._serving:
            self._next_in_line()
        elif ticket > self._serving:
            self._abandoned.add(ticket)
