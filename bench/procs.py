"""A measured child process: when it started and ended (time.monotonic), its peak RSS, its output.

The start and end are read on the same clock as the simulator's `first_arrival`/`last_arrival`
(time.monotonic is one system-wide clock on Linux), so "start to first request" compares times
taken in two processes. Peak RSS comes from `os.wait4`'s rusage: the child's own high-water mark,
or that of a descendant it waited for if one grew larger.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Finished:
    """How a child ended: exit code (negative: its signal), clock readings, RSS, CPU, output."""

    code: int
    started: float
    ended: float
    peak_rss_mb: float
    cpu_s: float  # user + system time: what the work cost, however busy the machine was
    stdout: str
    stderr: str

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def last_error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit {self.code}"


def run_measured(
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    kill_when: Callable[[], bool] | None = None,
    poll: float = 0.01,
    timeout: float = 1800,
) -> Finished:
    """Run `command` from the repository root; SIGKILL its process group once `kill_when()`.

    The child is polled every `poll` seconds (its end is known to that precision), and
    `kill_when` is asked as often. Output goes to files, not pipes, so a chatty child never
    blocks on a full pipe.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=REPO, env=dict(env), stdout=out, stderr=err, start_new_session=True
        )
        status, usage = _wait(process, kill_when, poll, started + timeout)
        ended = time.monotonic()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not Popen
        out.seek(0)
        err.seek(0)
        return Finished(
            code=process.returncode,
            started=started,
            ended=ended,
            peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
            cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def _wait(
    process: subprocess.Popen[bytes],
    kill_when: Callable[[], bool] | None,
    poll: float,
    deadline: float,
) -> tuple[int, resource.struct_rusage]:
    """Wait for the child to exit, or kill it once `kill_when()` or at `deadline`."""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return status, usage
        if (kill_when is not None and kill_when()) or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the child and its helpers
            _, status, usage = os.wait4(process.pid, 0)
            return status, usage
        time.sleep(poll)
