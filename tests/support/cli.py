"""`civic-etl` as a user runs it: in this process (fast), or as a process of its own.

A run in this process goes through the same `main()` with the same arguments, environment and
exit code, its stdout and stderr captured; what only a real process can show (a kill, a lock held
by another process, the files a fresh interpreter reads) uses `civic_etl()`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from simulator.server import RunningSimulator
from tests.support.simulator import requests_served

REPO = Path(__file__).resolve().parents[2]


def cli_env(sim: RunningSimulator, tmp: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment a user would set, pointing both sources at the simulator, with client
    rates above the simulator's (its limits are what a test turns on when it wants them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CIVIC_ETL"))}
    env.update(
        {
            "SOURCES__NATIONBUILDER__BASE_URL": sim.nationbuilder_url,
            "SOURCES__NATIONBUILDER__ACCESS_TOKEN": sim.config.nb_token,
            "SOURCES__NATIONBUILDER__RATE_PER_SECOND": "500",
            "SOURCES__ACTION_NETWORK__BASE_URL": sim.action_network_url,
            "SOURCES__ACTION_NETWORK__API_KEY": sim.config.an_keys[0],
            "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "500",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if tmp is not None:
        env["SOURCES__NATIONBUILDER__TOKEN_CACHE"] = str(tmp / "nb_tokens.json")
    env.update(extra)
    return env


@dataclass
class Result:
    """What a run left: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str

    def json_lines(self, stream: str = "stdout") -> list[dict]:
        text = self.stdout if stream == "stdout" else self.stderr
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """`os.environ` is exactly `env` for the block (dlt reads its settings from there)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_cli(*args: str, env: dict[str, str]) -> Result:
    """`civic-etl ARGS` in this process: the same `main()`, environment and exit code."""
    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return Result(code, out.getvalue(), err.getvalue())


def command(args: Iterable[str], kill_at: str | None = None) -> list[str]:
    """`civic-etl ARGS`, or the same run that SIGKILLs itself at a kill point."""
    if kill_at is None:
        return [sys.executable, "-m", "pipelines.cli", *args]
    return [sys.executable, "-m", "tests.support.killpoint", kill_at, *args]


def civic_etl(
    *args: str,
    env: dict[str, str],
    kill_at: str | None = None,
    timeout: float = 300,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """`civic-etl ARGS` as a process of its own (see killpoint.py for `kill_at`)."""
    return subprocess.run(
        command(args, kill_at),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_civic_etl(
    *args: str, env: dict[str, str], sigint: signal.Handlers | None = None
) -> subprocess.Popen[str]:
    """`civic-etl ARGS` started, not waited for; `sigint` sets how the process starts out
    treating SIGINT (else as this process does: ignored, when it runs as a background job)."""

    def start_with_sigint() -> None:
        signal.signal(signal.SIGINT, sigint)

    return subprocess.Popen(
        command(args),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=None if sigint is None else start_with_sigint,
    )


def kill_when_served(
    process: subprocess.Popen[str],
    sim: RunningSimulator,
    requests: int,
    timeout: float = 120,
    served: Callable[[RunningSimulator], int] = requests_served,
) -> bool:
    """SIGKILL the run once the simulator has served `requests` requests (as `served` counts
    them: all of them by default); False if it ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if served(sim) >= requests:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            return True
        time.sleep(0.02)
    process.communicate(timeout=240)
    return False


def error_lines(stderr: str) -> list[str]:
    """The run's error lines, text (`civic-etl: error: ...`) or JSON (`"event": "error"`)."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("civic-etl: error:"):
            found.append(line)
        elif line.startswith("{") and json.loads(line).get("event") == "error":
            found.append(json.loads(line)["message"])
    return found


def assert_one_clear_line(
    result: Result | subprocess.CompletedProcess[str], code: int, *needles: str
) -> str:
    """Exit `code`, no traceback or asyncio noise, and exactly one error line saying `needles`."""
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "asynchronous generator" not in result.stderr, result.stderr[-3000:]
    assert "Task exception" not in result.stderr, result.stderr[-3000:]
    errors = error_lines(result.stderr)
    assert len(errors) == 1, result.stderr[-3000:]
    assert error_lines(result.stderr.strip().splitlines()[-1]), "the error is the last line"
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]
