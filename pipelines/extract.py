"""Run each configured source through its own dlt pipeline into the warehouse, concurrently."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import duckdb

from sources.http import ClientRegistry
from sources.nationbuilder.deletions import DeletionLog
from warehouse.deletions import apply_deletions

SOURCES = ("nationbuilder", "action_network")
# Keep dlt's load ids on Arrow rows, so every raw row says which load brought it.
os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")


@dataclass
class SourceRun:
    """What one source's extract and load did: for the run summary and the exit code."""

    source: str
    started: float
    seconds: float = 0.0
    ok: bool = False
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    load_ids: list[str] = field(default_factory=list)


def pipelines_dir(warehouse: Path) -> Path:
    """dlt's working state lives beside the warehouse it belongs to, one folder per warehouse."""
    return warehouse.parent / ".civic-etl" / warehouse.stem / "pipelines"


def make_pipeline(source: str, warehouse: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"civic_{source}",
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=source,
        pipelines_dir=str(pipelines_dir(warehouse)),
    )


def build_source(
    source: str, registry: ClientRegistry, deletions: DeletionLog, resources: list[str] | None
) -> Any:
    if source == "nationbuilder":
        from sources.nationbuilder import nationbuilder_source

        built = nationbuilder_source(registry=registry, deletions=deletions)
    else:
        from sources.action_network import action_network_source

        built = action_network_source(registry=registry)
    if resources:
        built = built.with_resources(*resources_for(built, resources))
    return built


def resources_for(built: Any, tables: list[str]) -> list[str]:
    """Resource names that fill the asked-for tables (an Action Network parent table, such as
    `petitions`, is filled by its actions' resource, and a table may be asked by resource name)."""
    from sources.action_network.settings import PARENT_OF_RESOURCE

    wanted = []
    for table in tables:
        if table in built.resources:
            wanted.append(table)
        wanted.extend(r for r, parent in PARENT_OF_RESOURCE.items() if parent == table)
    return [name for name in dict.fromkeys(wanted) if name in built.resources]


def rows_loaded(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows per table in this run's load, without dlt's own bookkeeping tables."""
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    counts = info.row_counts if info else {}
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}


def run_one(
    source: str,
    warehouse: Path,
    registry: ClientRegistry,
    full_refresh: bool,
    resources: list[str] | None,
) -> SourceRun:
    """Extract, normalize and load one source, then stamp the deletions its sweep found."""
    result = SourceRun(source, time.time())
    deletions = DeletionLog()
    try:
        pipeline = make_pipeline(source, warehouse)
        built = build_source(source, registry, deletions, resources)
        if pipeline.has_pending_data:
            # A killed or failed run left packages behind: land them before extracting anew,
            # since dlt's run() would otherwise load them and skip this run's extract.
            pipeline.run()
        info = pipeline.run(built, refresh="drop_sources") if full_refresh else pipeline.run(built)
        result.load_ids = list(info.loads_ids)
        result.rows = rows_loaded(pipeline)
        if deletions.found:
            with duckdb.connect(str(warehouse)) as con:
                result.deleted = apply_deletions(con, source, deletions.found)
        result.ok = True
    except Exception as exc:  # reported in the summary; the CLI turns it into one line
        result.error = describe(exc)
    finally:
        result.seconds = time.time() - result.started
    return result


def run_sources(
    sources: list[str],
    warehouse: Path,
    *,
    full_refresh: bool = False,
    resources: list[str] | None = None,
    registry: ClientRegistry | None = None,
    on_start: Callable[[ClientRegistry], None] | None = None,
) -> list[SourceRun]:
    """All sources at once: each has its own rate budget, so running them together costs nothing."""
    registry = registry or ClientRegistry()
    if on_start:
        on_start(registry)
    try:
        with ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="extract") as pool:
            futures = [
                pool.submit(run_one, source, warehouse, registry, full_refresh, resources)
                for source in sources
            ]
            return [future.result() for future in futures]
    finally:
        asyncio.run(registry.close_all())


def describe(exc: BaseException) -> str:
    """The innermost meaningful error as one line (dlt wraps source errors in step failures)."""
    from pipelines.errors import one_line_error

    return one_line_error(exc)
