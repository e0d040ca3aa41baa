"""Per-event-loop holders for asyncio primitives that must not cross loops."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """Builds one value per event loop, inside that loop, on first use there.

    dlt runs async resources on a private loop in a worker thread, and consecutive runs may use
    new loops; an asyncio.Lock or Semaphore bound to an earlier loop would raise there. Values
    are dropped with their loop.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        value = self._values.get(loop)
        if value is None:
            value = self._values[loop] = self._factory()
        return value
