"""`civic-etl status`: the last runs, live rows per table, cursors, warehouse size, a run going.

It reads through a connection that can only read, so it never stands in a run's way; while a
run writes a DuckDB file, DuckDB lets no other process open it, and status says who is writing.
"""

from __future__ import annotations

from pathlib import Path

from sources import specs
from warehouse.destination import database_errors, is_duckdb_file
from warehouse.location import ensure_readable
from warehouse.lock import holder
from warehouse.status import snapshot


def render_status(warehouse: Path) -> str:
    """The report, as lines for a terminal or a log; WarehouseError when there is nothing."""
    running = holder(warehouse)
    if is_duckdb_file():
        ensure_readable(warehouse)
        out = [f"warehouse {warehouse} ({warehouse.stat().st_size / 1e6:.1f} MB)"]
    else:
        out = ["warehouse: the configured destination"]
    if running:
        out.append(f"a run is in progress ({running})")
    try:
        status = snapshot(warehouse, [spec.name for spec in specs()])
    except database_errors() as exc:
        if not running:
            raise
        first = str(exc).strip().splitlines()[0]
        out.append(f"its tables can be read when it ends ({first})")
        return "\n".join(out)
    if status.runs:
        out.append("last runs:")
        for run_id, command, state, started, seconds, error in status.runs:
            line = (
                f"  {started:%Y-%m-%d %H:%M} {command:<9} {state:<9} {seconds or 0:7.1f}s  {run_id}"
            )
            out.append(line + (f"  {error}" if error else ""))
    out.append("rows (live):")
    out.extend(f"  {schema}.{table}: {count}" for schema, table, count in status.rows)
    if status.cursors:
        out.append("cursors:")
        out.extend(f"  {dataset}.{name}: {cursor}" for dataset, name, cursor in status.cursors)
    return "\n".join(out)
