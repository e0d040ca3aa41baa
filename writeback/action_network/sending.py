"""How the Action Network write-backs send: on one client, many requests at once (its limiter
sets the pace), each refusal kept, and the run logged however it ends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sources.http import ApiClient, AuthError, FatalHttpError

Item = TypeVar("Item")
# What Action Network answers about one record (a person deleted since the extract, a value it
# rejects): that record is reported, the others still go.
REFUSED_STATUSES = frozenset({400, 404, 422})


async def send_each(
    items: Iterable[Item], send: Callable[[Item], Awaitable[None]]
) -> list[tuple[Item, FatalHttpError]]:
    """Sends every item at once (the client's limiter and connection slots pace them) and
    returns the ones Action Network refused; any other failure stops the rest and is raised."""
    refused: list[tuple[Item, FatalHttpError]] = []

    async def one(item: Item) -> None:
        try:
            await send(item)
        except FatalHttpError as exc:
            if isinstance(exc, AuthError) or exc.status not in REFUSED_STATUSES:
                raise
            refused.append((item, exc))

    try:
        async with asyncio.TaskGroup() as group:
            for item in items:
                group.create_task(one(item))
    except ExceptionGroup as failures:  # one failure cancels the rest: raise it as it came
        raise failures.exceptions[0] from None
    return refused


def run_logged(
    client: Callable[[], ApiClient],
    work: Callable[[ApiClient], Awaitable[None]],
    log: Callable[[str | None], None],
    *,
    dry_run: bool,
) -> None:
    """Runs `work` on a client of its own; unless a dry run, `log` records how it ended (the
    error, or None), a failure midway too, so what was sent before it is on record."""

    async def main() -> None:
        async with client() as opened:
            await work(opened)

    error: str | None = None
    try:
        asyncio.run(main())
    except Exception as exc:
        error = str(exc)
        raise
    finally:
        if not dry_run:
            log(error)
