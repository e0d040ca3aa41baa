"""`civic-etl status`: the last runs, live rows per table, incremental cursors, warehouse size."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from pipelines.workdir import pipelines_dir
from sources import specs


def _cursors(warehouse: Path) -> list[str]:
    lines = []
    folder = pipelines_dir(warehouse)
    for source in (spec.name for spec in specs()):
        # one pipeline per account: civic_<source> (default), civic_<source>_account_<name>
        for path in sorted(folder.glob(f"civic_{source}*")):
            dataset = path.name.removeprefix("civic_")
            if dataset != source and not dataset.startswith(f"{source}_account_"):
                continue
            pipeline = dlt.attach(pipeline_name=path.name, pipelines_dir=str(folder))
            resources = pipeline.state.get("sources", {}).get(source, {}).get("resources", {})
            for name, state in sorted(resources.items()):
                if isinstance(state, dict) and state.get("cursor"):
                    lines.append(f"  {dataset}.{name}: {state['cursor']}")
    return lines


def render_status(warehouse: Path) -> str:
    size_mb = warehouse.stat().st_size / 1e6
    out = [f"warehouse {warehouse} ({size_mb:.1f} MB)"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where (table_schema in ('nationbuilder', 'action_network', 'analytics') "
            "or table_schema similar to '(nationbuilder|action_network)_account_.*') "
            "and table_schema not like '%\\_staging' escape '\\' "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2"
        ).fetchall()
        has_runs = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'civic_etl' and table_name = 'runs'"
        ).fetchone()
        if has_runs and has_runs[0]:
            out.append("last runs:")
            for run_id, command, state, started, seconds, error in con.execute(
                "select run_id, command, status, started_at, seconds, error from civic_etl.runs "
                "order by started_at desc limit 5"
            ).fetchall():
                line = (
                    f"  {started:%Y-%m-%d %H:%M} {command:<9} {state:<9} {seconds:7.1f}s  {run_id}"
                )
                out.append(line + (f"  {error}" if error else ""))
        out.append("rows (live):")
        for schema, table in tables:
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
            }
            where = " where deleted_at is null" if "deleted_at" in columns else ""
            count = con.execute(f'select count(*) from "{schema}"."{table}"{where}').fetchone()
            out.append(f"  {schema}.{table}: {count[0] if count else 0}")
    cursors = _cursors(warehouse)
    if cursors:
        out.append("cursors:")
        out.extend(cursors)
    return "\n".join(out)
