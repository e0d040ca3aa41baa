"""A throwaway PostgreSQL server for the test session, wherever PostgreSQL's binaries are.

`CIVIC_ETL_TEST_POSTGRES_DSN` names a server to use instead (`.ci/run` starts one with
`.ci/postgres`). Otherwise the session starts a private cluster of its own on a free loopback
port in a temporary folder, as `.ci/postgres` does, and removes it at the end; where PostgreSQL
is not installed the PostgreSQL tests are skipped with one line saying how to enable them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DSN_VAR = "CIVIC_ETL_TEST_POSTGRES_DSN"
HOW_TO_ENABLE = (
    f"no PostgreSQL: install it (apt-get install postgresql) or set {DSN_VAR}=postgresql://..."
)


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its commands as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _start(bindir: Path, folder: Path, port: int) -> str:
    """initdb, start, and a role and database for the tests; their DSN."""
    data = folder / "data"
    run = {"check": True, "capture_output": True}
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    subprocess.run(_as_owner([*initdb, "--no-sync", "--locale=C", "-E", "UTF8"]), **run)  # type: ignore[call-overload]
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
        " -c fsync=off"
    )
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log")]
    subprocess.run(_as_owner([*pg_ctl, "-w", "-o", options, "start"]), **run)  # type: ignore[call-overload]
    psql = [str(bindir / "psql"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    statements = ["create role civic_etl login password 'civic_etl' createdb"]
    statements.append("create database civic_etl owner civic_etl")
    subprocess.run([*psql, "-d", "postgres", *(f"-c{sql}" for sql in statements)], **run)  # type: ignore[call-overload]
    return f"postgresql://civic_etl:civic_etl@127.0.0.1:{port}/civic_etl"


@contextmanager
def private_server() -> Iterator[str | None]:
    """The DSN of a database on a server for this session; None when none can run here."""
    if os.environ.get(DSN_VAR):
        yield os.environ[DSN_VAR]
        return
    bindir = _bindir()
    if bindir is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="civic-etl-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        dsn: str | None = _start(bindir, folder, _free_port())
    except (OSError, LookupError, subprocess.CalledProcessError):
        dsn = None
    try:
        yield dsn
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"]
        subprocess.run(_as_owner(stop), capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
