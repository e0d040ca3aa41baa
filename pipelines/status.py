"""`civic-etl status`: the last runs, live rows per table, cursors, warehouse size, a run going.

It reads through a connection that can only read, so it never stands in a run's way. While a
run has a DuckDB file open, DuckDB lets no other process open it, so status says which run is
going (from the run lock) instead of failing; a file kept open by a session that is no run is
named (exit 3) so the person knows whom to ask.
"""

from __future__ import annotations

from pathlib import Path

from sources import specs
from warehouse.destination import database_errors, is_duckdb_file
from warehouse.filehold import held_by
from warehouse.location import ensure_readable
from warehouse.lock import RunLocked, holder
from warehouse.status import snapshot


def render_status(warehouse: Path) -> str:
    """The report, as lines for a terminal or a log; WarehouseError when there is nothing,
    RunLocked when a session that is no run keeps the DuckDB file to itself."""
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
        busy = held_by(exc)
        if running and busy:
            out.append("its tables and run log can be read when it ends")
            return "\n".join(out)
        if busy:
            raise RunLocked(
                f"the warehouse {warehouse} is open for writing in {busy}, which is no "
                "civic-etl run: status can read it when that session closes"
            ) from None
        raise
    if status.runs:
        out.append("last runs:")
        for run_id, command, state, started, seconds, error in status.runs:
            when = f"{started:%Y-%m-%d %H:%M}"
            line = f"  {when} {command:<9} {state:<11} {seconds or 0:7.1f}s  {run_id}"
            out.append(line + (f"  {error}" if error else ""))
    out.append("rows (live):")
    out.extend(f"  {schema}.{table}: {count}" for schema, table, count in status.rows)
    if status.cursors:
        out.append("cursors:")
        out.extend(f"  {dataset}.{name}: {cursor}" for dataset, name, cursor in status.cursors)
    return "\n".join(out)
