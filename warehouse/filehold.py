"""A run holds its DuckDB file from start to end, after waiting (bounded) for others to let go.

DuckDB lets one process write a file and no other process open it meanwhile, not even to read.
dlt opens and closes the file several times in a run (sync, load, each account's tidy-up); an
analyst's session opened in one of those gaps made the next step fail with every record
extracted. Here the run opens the file once, before anything else, and keeps that connection
until it ends: dlt's and the transform's connections in this process join the same open database
(DuckDB shares one per file within a process), so no other process can get in between.

Opening at the start waits for a session that has the file open, read-only or not: the line it
logs names the holder's PID, which DuckDB reads from the OS's lock table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.duckdb_loads import create_file
from warehouse.waiting import WAIT_ENV_VAR, wait_for

# DuckDB's words for a file another process has open: "Could not set lock on file "...":
# Conflicting lock is held in /usr/bin/python3.11 (PID 4242)."
HELD = "Could not set lock on file"
HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


class FileBusy(Exception):
    """Another process kept the DuckDB file open for longer than the run would wait."""


def held_by(error: BaseException) -> str | None:
    """Who holds the file, from DuckDB's lock error ("PID 4242 (python3.11)"); None when the
    error is not about a held file."""
    text = str(error)
    if HELD not in text:
        return None
    found = HOLDER.search(text)
    if found is None:
        return "another process (the OS did not say which)"
    program = Path(found["program"]).name or found["program"]
    return f"PID {found['pid']} ({program})"


def try_open(warehouse: Path) -> tuple[duckdb.DuckDBPyConnection | None, str | None]:
    """A writing connection to the file, or None and who holds it."""
    try:
        create_file(warehouse)
        return duckdb.connect(str(warehouse)), None
    except duckdb.IOException as exc:
        holder = held_by(exc)
        if holder is None:
            raise
        return None, holder


@contextmanager
def hold_file(warehouse: Path, seconds: float) -> Iterator[None]:
    """Open the file for the whole block, waiting up to `seconds` for whoever has it open."""
    last = ["another process"]

    def attempt() -> duckdb.DuckDBPyConnection | None:
        con, holder = try_open(warehouse)
        if holder:
            last[0] = holder
        return con

    con, _ = wait_for(attempt, lambda: f"the file is open in {last[0]}", seconds)
    if con is None:
        raise FileBusy(
            f"the warehouse {warehouse} is open in {last[0]}, still after {seconds:.0f}s: close "
            f"that session (read-only ones too) or set {WAIT_ENV_VAR} higher; nothing was extracted"
        )
    try:
        yield
    finally:
        con.close()
