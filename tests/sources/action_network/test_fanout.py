"""interleave: a bounded number of listings at once, every item handed over, failures raised."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from sources.action_network.fanout import Job, interleave


def test_runs_at_most_limit_jobs_and_yields_every_item() -> None:
    running = peak = 0
    closed: list[int] = []

    async def job(n: int) -> AsyncGenerator[int, None]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            for i in range(3):
                await asyncio.sleep(0.001)
                yield n * 10 + i
        finally:
            running -= 1
            closed.append(n)

    async def collect() -> list[int]:
        jobs = [lambda n=n: job(n) for n in range(10)]
        return [item async for item in interleave(jobs, 3)]

    items = asyncio.run(collect())
    assert sorted(items) == sorted(n * 10 + i for n in range(10) for i in range(3))
    assert peak == 3
    assert sorted(closed) == list(range(10))


def test_first_failure_stops_the_other_jobs_and_is_raised() -> None:
    closed: list[str] = []

    async def forever() -> AsyncGenerator[int, None]:
        try:
            while True:
                await asyncio.sleep(0.001)
                yield 1
        finally:
            closed.append("forever")

    async def broken() -> AsyncGenerator[int, None]:
        await asyncio.sleep(0.005)
        raise RuntimeError("page 3 is broken")
        yield 0

    async def collect() -> None:
        async for _ in interleave([forever, broken], 2):
            pass

    with pytest.raises(RuntimeError, match="page 3 is broken"):
        asyncio.run(collect())
    assert closed == ["forever"]


def test_no_jobs_yields_nothing() -> None:
    async def collect() -> list[int]:
        jobs: list[Job[int]] = []
        return [item async for item in interleave(jobs, 4)]

    assert asyncio.run(collect()) == []
