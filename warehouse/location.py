"""Where the warehouse lives: `--warehouse`, else CIVIC_ETL_WAREHOUSE, else data/civic.duckdb."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE = Path("data") / "civic.duckdb"
ENV_VAR = "CIVIC_ETL_WAREHOUSE"


class WarehouseError(Exception):
    """The warehouse cannot be used (unwritable path, locked, missing tables)."""


def resolve(path: str | os.PathLike[str] | None = None) -> Path:
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_WAREHOUSE).expanduser()
    return chosen.resolve()


def ensure_writable(path: Path) -> Path:
    """Fail early, in one line, when the warehouse file cannot be created or written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(
            f"cannot create the warehouse folder {path.parent}: {exc.strerror}"
        ) from None
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise WarehouseError(f"the warehouse {path} is not writable")
    if path.exists() and path.is_dir():
        raise WarehouseError(f"the warehouse path {path} is a folder, not a DuckDB file")
    return path
