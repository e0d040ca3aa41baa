"""Run many async listings a few at a time and hand over their items as they arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from typing import TypeVar, cast

T = TypeVar("T")
Job = Callable[[], AsyncGenerator[T, None]]
_DONE = object()


async def interleave(jobs: Iterable[Job[T]], limit: int) -> AsyncGenerator[T, None]:
    """Items of every job, in arrival order, with at most `limit` jobs running at once.

    One async generator advances one step at a time, so a resource that walks hundreds of
    parents one after another would keep a single request in flight; this keeps `limit` going.
    The first failure stops every job and is raised to the consumer, as is stopping early.
    """
    queue: asyncio.Queue[tuple[object, BaseException | None]] = asyncio.Queue(maxsize=limit)
    pending = iter(jobs)

    async def worker() -> None:
        try:
            for job in pending:  # shared: each job is taken by exactly one worker
                async with aclosing(job()) as items:
                    async for item in items:
                        await queue.put((item, None))
        except Exception as exc:
            await queue.put((None, exc))
        else:
            await queue.put((_DONE, None))

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, limit))]
    running = len(workers)
    try:
        while running:
            item, error = await queue.get()
            if error is not None:
                raise error
            if item is _DONE:
                running -= 1
            else:
                yield cast(T, item)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
