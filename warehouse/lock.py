"""Who may use the warehouse when; every lock goes away with the process that held it.

- **A DuckDB file** has one writer anyway, so one lock serves every run: an exclusive `flock` on
  `run.lock` beside the file (a second run is refused at once, exit 3, naming the first), and the
  run keeps the file itself open from start to end (warehouse/filehold.py), after waiting,
  bounded, for an analyst's session to close it. Locking per account here would only let a
  second process start and then wait for the file.
- **PostgreSQL** keeps the locks itself (warehouse/pglock.py), so runs on different machines
  see each other: `extract:<pipeline>` per account (the same account twice is refused at once,
  naming who has it; different accounts run at once), `warehouse`, which extracts share and a
  transform takes alone (whichever comes second waits, up to CIVIC_ETL_WAREHOUSE_WAIT seconds,
  naming what it waits for, then exit 3), and `run:<run_id>` for the life of the run, so a run
  log row left "running" whose run lock is free belongs to a run that was killed.
- **Other destinations** get the local lock file only: one run at a time on this machine.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.destination import connect, destination_name, is_duckdb_file
from warehouse.filehold import FileBusy, hold_file
from warehouse.location import state_dir
from warehouse.pglock import AdvisoryLocks, session_name
from warehouse.waiting import wait_for, wait_seconds

POSTGRES = "postgres"
SHARED = "warehouse"


class RunLocked(Exception):
    """Another run (or a session) holds what this one needs; the message names who."""


@dataclass(frozen=True)
class Work:
    """What a run is about to do, as far as the locks care."""

    run_id: str
    command: str
    # account label (`nationbuilder:north`) -> the name of its pipeline, which its lock is named by
    accounts: Mapping[str, str] = field(default_factory=dict)
    transform: bool = False

    def describe(self) -> str:
        """For the lock file: `run of nationbuilder, action_network`, or `transform`."""
        return f"{self.command} of {', '.join(self.accounts)}" if self.accounts else self.command


class JobLock:
    """What a run holds while it runs; see the module docstring for which, on which database."""

    def transform(self) -> AbstractContextManager[None]:
        """Held while the marts are built."""
        return nullcontext()

    def is_dead(self, run_id: str) -> bool:
        """Whether the run of a row left "running" holds no lock any more (so it was killed).
        Where a lock cannot tell (other destinations), every run is taken as alive."""
        return False


class FileJobLock(JobLock):
    """The one lock of a DuckDB warehouse: whoever holds it is the only run."""

    def is_dead(self, run_id: str) -> bool:
        return True


class AdvisoryJobLock(JobLock):
    """A run's advisory locks on a PostgreSQL warehouse (one session holds them all)."""

    def __init__(self, locks: AdvisoryLocks, run_id: str, seconds: float) -> None:
        self.locks = locks
        self.run_id = run_id
        self.seconds = seconds
        self.sharing = False

    def share(self) -> None:
        """Take the extracts' shared lock, waiting for a transform that holds it alone."""
        got, holder = wait_for(
            lambda: self.locks.try_lock(SHARED, shared=True) or None,
            lambda: _waiting_for(self.locks, "a transform", SHARED),
            self.seconds,
        )
        if not got:
            raise RunLocked(f"{holder}, still after {self.seconds:.0f}s; try again when it ends")
        self.sharing = True

    @contextmanager
    def transform(self) -> Iterator[None]:
        """The warehouse alone: this run's extracts let go first (so two runs each waiting to
        transform cannot wait for each other), then it waits for other machines' extracts."""
        if self.sharing:
            self.locks.unlock(SHARED, shared=True)
            self.sharing = False
        got, holder = wait_for(
            lambda: self.locks.try_lock(SHARED) or None,
            lambda: _waiting_for(self.locks, "extracts", SHARED),
            self.seconds,
        )
        if not got:
            raise RunLocked(
                f"the marts were not built: {holder}, still after {self.seconds:.0f}s; "
                "run `civic-etl transform` when they end"
            )
        try:
            yield
        finally:
            self.locks.unlock(SHARED)

    def is_dead(self, run_id: str) -> bool:
        if run_id == self.run_id:
            return False
        if not self.locks.try_lock(f"run:{run_id}"):
            return False
        self.locks.unlock(f"run:{run_id}")
        return True


def _waiting_for(locks: AdvisoryLocks, what: str, name: str) -> str:
    holders = locks.holders(name)
    return f"{what} hold the warehouse ({'; '.join(holders) or 'a session that just ended'})"


def lock_path(warehouse: Path) -> Path:
    return state_dir(warehouse) / "run.lock"


@contextmanager
def job_lock(warehouse: Path, work: Work) -> Iterator[JobLock]:
    """Everything `work` needs, held for the block; RunLocked (exit 3) when someone has it."""
    seconds = wait_seconds()
    if is_duckdb_file():
        with file_lock(warehouse, work.describe()):
            try:
                held = hold_file(warehouse, seconds)
                held.__enter__()
            except FileBusy as exc:
                raise RunLocked(str(exc)) from None
            try:
                yield FileJobLock()
            finally:
                held.__exit__(None, None, None)
    elif destination_name() == POSTGRES:
        with connect(warehouse) as con:
            locks = AdvisoryLocks(con.native, session_name(work.command))
            lock = AdvisoryJobLock(locks, work.run_id, seconds)
            locks.try_lock(f"run:{work.run_id}")
            for label, pipeline in work.accounts.items():
                if not locks.try_lock(f"extract:{pipeline}"):
                    holders = "; ".join(locks.holders(f"extract:{pipeline}")) or "another run"
                    raise RunLocked(
                        f"{label} is being extracted by {holders}; "
                        "not extracting it twice, try again when that run ends"
                    )
            if work.accounts:
                lock.share()
            yield lock  # the session's end releases every lock it took
    else:
        with file_lock(warehouse, work.describe()):
            yield JobLock()


@contextmanager
def run_lock(warehouse: Path) -> Iterator[None]:
    """The warehouse with no run going, for a write-back: refused at once (exit 3) otherwise."""
    if destination_name() != POSTGRES:
        with file_lock(warehouse, "write-back"):
            yield
        return
    with ExitStack() as stack:
        con = stack.enter_context(connect(warehouse))
        locks = AdvisoryLocks(con.native, session_name("write-back"))
        if not locks.try_lock(SHARED):
            raise RunLocked(f"{_waiting_for(locks, 'runs', SHARED)}; try again when they end")
        yield


@contextmanager
def file_lock(warehouse: Path, doing: str) -> Iterator[None]:
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
        since = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {since}: {doing}")
        handle.flush()
        yield
    finally:
        handle.close()


def holder(warehouse: Path) -> str | None:
    """Who holds the local run lock right now ("pid 41 on box since ...: run of ..."), read
    without touching the lock; None when no living process does (the file's text outlives a
    killed run, the lock not)."""
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


def holder_pid(warehouse: Path) -> int | None:
    """The pid of the living holder of the local run lock, if any."""
    text = holder(warehouse)
    return int(text.split()[1]) if text else None
