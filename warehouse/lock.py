"""One run at a time per warehouse, with a lock the kernel releases when its holder dies."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.location import state_dir


class RunLocked(Exception):
    """Another run holds this warehouse."""


def lock_path(warehouse: Path) -> Path:
    return state_dir(warehouse) / "run.lock"


@contextmanager
def run_lock(warehouse: Path) -> Iterator[None]:
    """Hold an exclusive flock for the duration of a run.

    A killed run (even SIGKILL) cannot leave a stale lock: the lock belongs to the open file
    description, which the kernel closes with the process. The file's text only says who held it.
    """
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held open for the whole run on purpose
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


def holder(warehouse: Path) -> str | None:
    """Who holds the run lock right now ("pid 41 since ..."), read without touching the lock;
    None when no living process does (the file's text outlives a killed run, the lock not)."""
    try:
        text = lock_path(warehouse).read_text().strip()
    except OSError:
        return None
    words = text.split()
    if len(words) < 2 or words[0] != "pid" or not words[1].isdigit():
        return None
    try:
        os.kill(int(words[1]), 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return text
