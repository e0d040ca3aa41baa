"""TokenBucket: rate, burst, fairness, pauses and NB window tracking."""

from __future__ import annotations

import asyncio
import time

import pytest

from sources.http import TokenBucket


def test_bucket_reaches_90_percent_of_rate_and_never_exceeds_rate_times_t_plus_burst() -> None:
    rate, burst, total = 50.0, 5, 80

    async def run() -> list[float]:
        bucket = TokenBucket(rate, burst)
        start = time.monotonic()
        stamps: list[float] = []

        async def worker(count: int) -> None:
            for _ in range(count):
                await bucket.acquire()
                bucket.release()
                stamps.append(time.monotonic() - start)

        await asyncio.gather(worker(30), worker(30), worker(20))
        return sorted(stamps)

    stamps = asyncio.run(run())
    assert len(stamps) == total
    for sent, at in enumerate(stamps, start=1):
        assert sent <= rate * at + burst + 1e-6, f"request {sent} at {at:.4f}s beats the budget"
    achieved = (total - burst) / stamps[-1]
    assert achieved >= 0.9 * rate, f"only {achieved:.1f}/s of {rate}/s"


def test_bucket_serves_concurrent_waiters_in_turn() -> None:
    async def run() -> list[str]:
        bucket = TokenBucket(200.0, 1)
        order: list[str] = []

        async def worker(name: str) -> None:
            for _ in range(10):
                await bucket.acquire()
                bucket.release()
                order.append(name)

        await asyncio.gather(worker("a"), worker("b"), worker("c"))
        return order

    order = asyncio.run(run())
    # The first worker may take a second turn before the others have started waiting; after
    # that the FIFO lock makes them alternate.
    for end in range(1, len(order) + 1):
        prefix = order[:end]
        counts = [prefix.count(name) for name in "abc"]
        assert max(counts) - min(counts) <= 2, f"unfair order {''.join(order)}"


def test_pause_until_holds_back_every_waiter() -> None:
    async def run() -> list[float]:
        bucket = TokenBucket(1000.0, 10)
        bucket.pause_until(time.monotonic() + 0.3)
        return list(await asyncio.gather(*(bucket.acquire() for _ in range(5))))

    waits = asyncio.run(run())
    assert min(waits) >= 0.25


def test_observe_pauses_until_reset_when_in_flight_requests_use_up_remaining() -> None:
    async def run() -> float:
        bucket = TokenBucket(1000.0, 10, reset_grace=0.0)
        await bucket.acquire()
        await bucket.acquire()
        bucket.release()
        # One request still in flight and the server says one is left: the budget is spent.
        bucket.observe(remaining=1, reset_epoch=time.time() + 0.3)
        return await bucket.acquire()

    assert asyncio.run(run()) >= 0.25


def test_observe_lets_requests_through_while_budget_remains() -> None:
    async def run() -> float:
        bucket = TokenBucket(1000.0, 10)
        bucket.observe(remaining=5, reset_epoch=time.time() + 5)
        return max([await bucket.acquire() for _ in range(4)])

    assert asyncio.run(run()) < 0.1


@pytest.mark.parametrize("reset_offset", [-1.0, 0.0])
def test_observe_ignores_a_window_that_already_ended(reset_offset: float) -> None:
    async def run() -> float:
        bucket = TokenBucket(1000.0, 10)
        bucket.observe(remaining=0, reset_epoch=time.time() + reset_offset)
        return await bucket.acquire()

    assert asyncio.run(run()) < 0.1


def test_observe_reads_a_small_reset_as_seconds_from_now() -> None:
    async def run() -> float:
        bucket = TokenBucket(1000.0, 10, reset_grace=0.0)
        bucket.observe(remaining=0, reset_epoch=0.3)
        return await bucket.acquire()

    assert asyncio.run(run()) >= 0.25


def test_bucket_can_be_used_from_consecutive_event_loops() -> None:
    bucket = TokenBucket(1000.0, 2)

    async def burst() -> None:
        await asyncio.gather(*(bucket.acquire() for _ in range(4)))

    asyncio.run(burst())
    asyncio.run(burst())
    assert bucket.in_flight == 8


def test_bucket_rejects_a_nonpositive_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0, 1)
