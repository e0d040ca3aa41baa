"""One run at a time per warehouse, with a lock the kernel releases when its holder dies."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RunLocked(Exception):
    """Another run holds this warehouse."""


@contextmanager
def run_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock for the duration of a run.

    A killed run (even SIGKILL) cannot leave a stale lock: the lock belongs to the open file
    description, which the kernel closes with the process. The file's text only says who held it.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+")  # noqa: SIM115 - held open for the whole run on purpose
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLocked(
                f"another run is using this warehouse ({holder}); try again when it ends"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        yield
    finally:
        handle.close()
