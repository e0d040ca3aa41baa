"""TokenBucket: rate, burst, fairness, pauses and NB window tracking, on virtual time."""

from __future__ import annotations

import asyncio
import threading

import pytest

from sources.http import TokenBucket
from tests.support.clock import EPOCH, VirtualClock, run_virtual


def bucket(rate: float, burst: int = 1, **options: float) -> TokenBucket:
    return TokenBucket(rate, burst, clock=VirtualClock(), **options)  # type: ignore[arg-type]


def now() -> float:
    return asyncio.get_running_loop().time()


def test_bucket_sends_at_its_rate_after_a_burst_and_never_faster() -> None:
    rate, burst, total = 50.0, 5, 80

    async def run() -> list[float]:
        limiter = bucket(rate, burst)
        stamps: list[float] = []

        async def worker(count: int) -> None:
            for _ in range(count):
                await limiter.acquire()
                limiter.release()
                stamps.append(now())

        await asyncio.gather(worker(30), worker(30), worker(20))
        return sorted(stamps)

    stamps = run_virtual(run)
    assert len(stamps) == total
    for sent, at in enumerate(stamps, start=1):
        assert sent <= rate * at + burst + 1e-9, f"request {sent} at {at:.4f}s beats the budget"
    assert stamps[:burst] == [0.0] * burst
    assert stamps[-1] == pytest.approx((total - burst) / rate)


def test_bucket_serves_concurrent_waiters_in_turn() -> None:
    async def run() -> list[str]:
        limiter = bucket(200.0, 1)
        order: list[str] = []

        async def worker(name: str) -> None:
            for _ in range(10):
                await limiter.acquire()
                limiter.release()
                order.append(name)

        await asyncio.gather(worker("a"), worker("b"), worker("c"))
        return order

    order = run_virtual(run)
    # The first worker may take a second turn before the others have started waiting; after
    # that, reservations in asking order make them alternate.
    for end in range(1, len(order) + 1):
        prefix = order[:end]
        counts = [prefix.count(name) for name in "abc"]
        assert max(counts) - min(counts) <= 2, f"unfair order {''.join(order)}"


def test_a_pause_holds_back_every_waiter_even_those_already_in_line() -> None:
    async def run() -> list[float]:
        limiter = bucket(10.0, 1)
        waiting = [asyncio.ensure_future(limiter.acquire()) for _ in range(5)]
        await asyncio.sleep(0.05)  # the first went at 0; the others wait for 0.1, 0.2, ...
        limiter.pause_for(1.0)
        permits = await asyncio.gather(*waiting)
        return [permit.waited for permit in permits]

    waits = run_virtual(run)
    assert waits[0] == 0.0
    assert min(waits[1:]) >= 1.05 - 1e-9, waits


def test_a_spent_window_holds_requests_until_it_resets() -> None:
    async def run() -> float:
        limiter = bucket(1000.0, 10, reset_grace=0.0)
        first = await limiter.acquire()
        await limiter.acquire()
        limiter.release()
        # The answer to the first says one is left; the second was sent after it: none is.
        limiter.observe(remaining=1, reset=EPOCH + 0.3, sequence=first.sequence)
        return (await limiter.acquire()).waited

    assert run_virtual(run) == pytest.approx(0.3)


def test_requests_sent_before_an_answer_are_not_subtracted_from_it_again() -> None:
    """Sent 1, 2, 3; the answer to 3 says 2 are left: exactly two more go before the reset."""

    async def run() -> list[float]:
        limiter = bucket(1000.0, 10, reset_grace=0.0)
        permits = [await limiter.acquire() for _ in range(3)]
        limiter.observe(remaining=2, reset=EPOCH + 5, sequence=permits[-1].sequence)
        return [(await limiter.acquire()).waited for _ in range(3)]

    assert run_virtual(run) == [0.0, 0.0, pytest.approx(5.0)]


def test_the_margin_of_a_window_is_left_unspent() -> None:
    async def run() -> list[float]:
        limiter = bucket(1000.0, 10, reset_grace=0.0, margin=2)
        first = await limiter.acquire()
        limiter.observe(remaining=4, reset=EPOCH + 5, sequence=first.sequence)
        return [(await limiter.acquire()).waited for _ in range(3)]

    assert run_virtual(run) == [0.0, 0.0, pytest.approx(5.0)]


def test_the_lowest_figure_of_a_window_wins_when_answers_arrive_out_of_order() -> None:
    async def run() -> float:
        limiter = bucket(1000.0, 10, reset_grace=0.0)
        permits = [await limiter.acquire() for _ in range(2)]
        limiter.observe(remaining=0, reset=EPOCH + 2, sequence=permits[1].sequence)
        limiter.observe(remaining=5, reset=EPOCH + 2, sequence=permits[0].sequence)
        return (await limiter.acquire()).waited

    assert run_virtual(run) == pytest.approx(2.0)


@pytest.mark.parametrize("reset_offset", [-1.0, 0.0])
def test_observe_ignores_a_window_that_already_ended(reset_offset: float) -> None:
    async def run() -> float:
        limiter = bucket(1000.0, 10)
        permit = await limiter.acquire()
        limiter.observe(remaining=0, reset=EPOCH + reset_offset, sequence=permit.sequence)
        return (await limiter.acquire()).waited

    assert run_virtual(run) == 0.0


def test_observe_reads_a_small_reset_as_seconds_from_now() -> None:
    async def run() -> float:
        limiter = bucket(1000.0, 10, reset_grace=0.0)
        permit = await limiter.acquire()
        limiter.observe(remaining=0, reset=0.3, sequence=permit.sequence)
        return (await limiter.acquire()).waited

    assert run_virtual(run) == pytest.approx(0.3)


def test_a_new_window_is_unknown_until_an_answer_says() -> None:
    async def run() -> list[float]:
        limiter = bucket(1000.0, 10, reset_grace=0.0)
        permit = await limiter.acquire()
        limiter.observe(remaining=0, reset=EPOCH + 1, sequence=permit.sequence)
        return [(await limiter.acquire()).waited for _ in range(3)]

    assert run_virtual(run) == [pytest.approx(1.0), 0.0, 0.0]


def test_a_cancelled_waiter_gives_back_its_place() -> None:
    async def run() -> int:
        limiter = bucket(1.0, 1)
        await limiter.acquire()
        waiter = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0.1)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        return limiter.in_flight

    assert run_virtual(run) == 1


def test_one_bucket_serves_several_threads_each_on_its_own_loop() -> None:
    """Every request gets its own place in the send order, whichever thread asked."""
    limiter = TokenBucket(2000.0, 4)
    sequences: list[int] = []

    def thread() -> None:
        async def burst() -> list[int]:
            permits = await asyncio.gather(*(limiter.acquire() for _ in range(25)))
            return [permit.sequence for permit in permits]

        sequences.extend(asyncio.run(burst()))

    threads = [threading.Thread(target=thread) for _ in range(4)]
    for started in threads:
        started.start()
    for started in threads:
        started.join()
    assert sorted(sequences) == list(range(1, 101))
    assert limiter.in_flight == 100


def test_bucket_rejects_a_nonpositive_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0, 1)
