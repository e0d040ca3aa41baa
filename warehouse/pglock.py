"""Advisory locks in a PostgreSQL warehouse: the locks every machine that loads it shares.

Session-level advisory locks (`pg_try_advisory_lock`) belong to one connection: PostgreSQL
drops them when that connection ends, so a killed run (or a machine that vanished, once TCP
notices) cannot leave one behind. Each lock is a 64-bit key, here a stable hash of its name,
and each lock session names itself (`application_name`) so the holder can be named: PostgreSQL
says which session holds a key (`pg_locks`) and what it called itself (`pg_stat_activity`).
"""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Any

KEY_PREFIX = "civic-etl:"
# PostgreSQL keeps this much of application_name (NAMEDATALEN - 1).
NAME_LENGTH = 63
HOLDERS_SQL = """
select a.application_name, a.client_addr, a.backend_start
from pg_locks as l
join pg_stat_activity as a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted and l.objsubid = 1
  and l.database = (select oid from pg_database where datname = current_database())
  and l.classid::bigint = %s and l.objid::bigint = %s and l.pid <> pg_backend_pid()
order by a.backend_start
"""


def lock_key(name: str) -> int:
    """The advisory key of a lock name: the same on every machine and every Python (not hash())."""
    digest = hashlib.blake2b((KEY_PREFIX + name).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def key_halves(key: int) -> tuple[int, int]:
    """How pg_locks shows a bigint key: its high and low 32 bits, as unsigned oids."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


def session_name(command: str) -> str:
    """What the lock session calls itself: enough for another machine's message to say who."""
    return f"civic-etl {command} pid {os.getpid()} on {socket.gethostname()}"[:NAME_LENGTH]


class AdvisoryLocks:
    """The advisory locks of one session (a psycopg2 connection in autocommit)."""

    def __init__(self, native: Any, name: str | None = None) -> None:
        """`name` is what the session calls itself; a session that only looks needs none."""
        self.native = native
        if name:
            self._one("select set_config('application_name', %s, false)", name)

    def _one(self, sql: str, *params: Any) -> Any:
        with self.native.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def try_lock(self, name: str, *, shared: bool = False) -> bool:
        function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        return bool(self._one(f"select {function}(%s)", lock_key(name)))

    def unlock(self, name: str, *, shared: bool = False) -> None:
        function = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
        self._one(f"select {function}(%s)", lock_key(name))

    def holders(self, name: str) -> list[str]:
        """The other sessions holding `name`, as they named themselves, with since when."""
        with self.native.cursor() as cursor:
            cursor.execute(HOLDERS_SQL, key_halves(lock_key(name)))
            rows = cursor.fetchall()
        return [
            f"{app or 'a session'}"
            + (f" from {addr}" if addr and not app else "")
            + (f", since {since:%Y-%m-%d %H:%M:%S %Z}".rstrip() if since else "")
            for app, addr, since in rows
        ]

    def held_elsewhere(self, name: str) -> bool:
        """Whether another session holds `name`, asked without taking it (a reader may ask)."""
        return bool(self.holders(name))
