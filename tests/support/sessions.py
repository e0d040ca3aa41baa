"""An analyst's DuckDB session as a process of its own, and a run's stderr read as it comes.

DuckDB's file lock is per process, so a session that must stand in a run's way (or be kept out
by one) has to be another process: `open_session()` starts one that opens the file, says so,
and holds it until the block ends.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SESSION = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("open", flush=True)
sys.stdin.read()
con.close()
"""


@contextmanager
def open_session(warehouse: Path, *, read_only: bool = True) -> Iterator[subprocess.Popen[str]]:
    """A process with the warehouse open (read-only by default) until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", SESSION, str(warehouse), "ro" if read_only else "rw"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "open"
        yield process
    finally:
        close_session(process)


def close_session(process: subprocess.Popen[str]) -> None:
    """Ends a session from `open_session()` (a second call does nothing)."""
    if process.poll() is None:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def wait_until(process: subprocess.Popen[str], ready: Callable[[], bool], what: str) -> None:
    """Waits for `ready()` while `process` runs; AssertionError when it ends first."""
    deadline = time.monotonic() + 120
    while not ready():
        assert process.poll() is None and time.monotonic() < deadline, f"never {what}"
        time.sleep(0.05)


class Lines:
    """A running process's stderr, line by line, read in a thread so a test can wait on it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stderr is not None
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, needle: str, timeout: float = 120) -> str:
        """The first line holding `needle`; AssertionError when the stream ends without one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} in {self.seen[-20:]}")

    def rest(self) -> str:
        """Everything after what was waited for, once the process has ended."""
        self._thread.join(timeout=60)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.seen.append(line)
        return "\n".join(self.seen)
