"""How dlt's loads use a DuckDB warehouse file: its block size, and the memory they may take.

A run holds its file from start to end (warehouse/filehold.py), so the instance and what it
caches last the whole run, and DuckDB fills its buffer pool up to its memory limit before it
gives anything back: a load's share of the run's peak RSS is the limit. The loads get one
thread and a limit that does not depend on the data (64MB); the transform puts DuckDB's defaults
back for the marts (warehouse/transform.py).

How low the limit can go is set by the widest table, not by the rows: appending to a table
keeps a block of every column pinned, on both sides of an `INSERT ... SELECT`, so the 163
columns of NationBuilder's signups need about 2 x 163 blocks at once. With DuckDB's default
256KB blocks that is more than 64MB: 20k signups failed to load in 64MB and needed 128MB, which
200k then filled (peak RSS 360 MB against 290 MB at 20k). A file made here has 64KB blocks, with
which 250k signups load in 64MB (with warehouse/merge.py: 298 MB at 200k, 291 MB at 20k); its
loads are about 1.7x slower (200k signups: 14 s against 8.4 s), seconds against the minutes a
first load of that size takes at the rate limit. A file made before keeps its 256KB blocks and
128MB. DuckDB reads 64KB-block files from version 1.2 on.
`CIVIC_ETL_DUCKDB_MEMORY_LIMIT=512MB` gives the loads another limit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

MEMORY_LIMIT_ENV_VAR = "CIVIC_ETL_DUCKDB_MEMORY_LIMIT"
BLOCK_SIZE = 65_536
LOAD_MEMORY_LIMIT = "64MB"
# Files made with DuckDB's default blocks (256KB), before BLOCK_SIZE was set.
DEFAULT_BLOCKS_MEMORY_LIMIT = "128MB"
# What load_settings sets, and the transform resets.
SETTING_NAMES = ("memory_limit", "threads")
# DuckDB's words end in "(60.9 MiB/61.0 MiB used)": what was in use, and the limit.
_IN_USE = re.compile(r"\(\s*[\d.]+ \w+/(?P<limit>[\d.]+ \w+) used\)")


def create_file(warehouse: Path) -> None:
    """A new, empty warehouse file with BLOCK_SIZE blocks; an existing file is left as it is.

    Raises what DuckDB raises when another process is creating or holding the same file.
    """
    if warehouse.exists():
        return
    quoted = str(warehouse).replace("'", "''")
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{quoted}' AS new_warehouse (BLOCK_SIZE {BLOCK_SIZE})")
        con.execute("DETACH new_warehouse")


def block_size(warehouse: Path) -> int:
    """The block size of the warehouse file (BLOCK_SIZE for a file not made yet)."""
    if not warehouse.exists():
        return BLOCK_SIZE
    with duckdb.connect(str(warehouse)) as con:
        row = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
    return int(row[0]) if row else BLOCK_SIZE


def load_settings(warehouse: Path) -> dict[str, str | int]:
    """The DuckDB settings dlt's loads into `warehouse` run with (see the module's docstring)."""
    limit = os.environ.get(MEMORY_LIMIT_ENV_VAR, "").strip()
    if not limit:
        small_blocks = block_size(warehouse) <= BLOCK_SIZE
        limit = LOAD_MEMORY_LIMIT if small_blocks else DEFAULT_BLOCKS_MEMORY_LIMIT
    return dict(zip(SETTING_NAMES, (limit, 1), strict=True))


def out_of_memory(error: BaseException) -> str | None:
    """The line for a load that ran out of DuckDB memory, naming the setting that gives it more;
    None for any other error. DuckDB's own words end in a list of remedies over many lines; their
    first line says how much the loads had."""
    if not isinstance(error, duckdb.OutOfMemoryException):
        return None
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else "out of memory"
    configured = os.environ.get(MEMORY_LIMIT_ENV_VAR, "").strip()
    in_use = _IN_USE.search(first)
    had = configured or (in_use["limit"] if in_use else "their limit")
    return (
        f"DuckDB ran out of memory loading ({first}): the loads have {had}; set "
        f"{MEMORY_LIMIT_ENV_VAR} higher (for example 512MB) and run again"
    )
