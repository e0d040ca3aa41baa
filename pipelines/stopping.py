"""SIGTERM stops a run as Ctrl-C does: recorded as interrupted, resumable, with one line.

Schedulers stop a job with SIGTERM (systemd, Kubernetes, a cron wrapper's timeout), and Python
ends on it at once, without unwinding: the run's row would stay "running" until the next run
marks it killed, and its log would say nothing. Raised as a `KeyboardInterrupt` instead, it takes
the path Ctrl-C takes: dlt keeps what it extracted, the run is recorded as interrupted, the
process says so and exits 143 (128 + SIGTERM), as a terminated process does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

TERMINATED_EXIT_CODE = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the main thread for the block, then is as it was before
    (the tests call `main()` in their own process). Off the main thread, nothing changes:
    Python lets only the main thread set signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
