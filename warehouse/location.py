"""Where the warehouse lives: `--warehouse`, else CIVIC_ETL_WAREHOUSE, else data/civic.duckdb."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULT_WAREHOUSE = Path("data") / "civic.duckdb"
ENV_VAR = "CIVIC_ETL_WAREHOUSE"
# A DuckDB file starts with an 8-byte checksum, then this.
DUCKDB_MAGIC, DUCKDB_MAGIC_AT = b"DUCK", 8


class WarehouseError(Exception):
    """The warehouse cannot be used (unwritable path, locked, missing tables)."""


def state_dir(warehouse: Path) -> Path:
    """What the job keeps beside a warehouse file: dlt's working state, the run lock."""
    return warehouse.parent / ".civic-etl" / warehouse.stem


def resolve(path: str | os.PathLike[str] | None = None) -> Path:
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_WAREHOUSE).expanduser()
    return chosen.resolve()


def ensure_readable(path: Path) -> Path:
    """Fail in one line when there is no DuckDB warehouse at `path` to read."""
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path} yet: run `civic-etl run` first")
    if path.is_dir():
        raise WarehouseError(f"the warehouse path {path} is a folder, not a DuckDB file")
    with open(path, "rb") as handle:
        header = handle.read(len(DUCKDB_MAGIC) + DUCKDB_MAGIC_AT)
    if header[DUCKDB_MAGIC_AT:] != DUCKDB_MAGIC:
        raise WarehouseError(
            f"{path} is not a DuckDB database; point --warehouse at the warehouse file"
        )
    return path


def ensure_writable(path: Path) -> Path:
    """Fail early, in one line, when the warehouse file cannot be created or written.

    The file system is asked by writing, not through `os.access`, which says yes to root even on
    read-only mounts such as /sys; and an existing file must start like a DuckDB database, so a
    wrong path is named here instead of in a traceback from the first query.
    """
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise WarehouseError(f"cannot put the warehouse {path} under {blocking}: it is a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(
            f"cannot create the warehouse folder {path.parent}: {exc.strerror}"
        ) from None
    if path.is_dir():
        raise WarehouseError(f"the warehouse path {path} is a folder, not a DuckDB file")
    header = b""
    try:
        if path.exists():
            with open(path, "r+b") as handle:
                header = handle.read(len(DUCKDB_MAGIC) + DUCKDB_MAGIC_AT)
        else:
            with tempfile.TemporaryFile(dir=path.parent):
                pass
    except OSError as exc:
        raise WarehouseError(f"the warehouse {path} is not writable: {exc.strerror}") from None
    if path.exists() and header[DUCKDB_MAGIC_AT:] != DUCKDB_MAGIC:
        raise WarehouseError(
            f"{path} is not a DuckDB database; point --warehouse at a new or DuckDB file"
        )
    return path
