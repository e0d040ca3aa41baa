"""Run each configured source through its own dlt pipeline into the warehouse, concurrently."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa

from pipelines.accounts import Account
from pipelines.logs import quiet_expected_dlt_notices
from pipelines.workdir import open_pipeline

# The sources are imported here, by the thread that imports this module: imported first by two
# extract threads at once, a package can be handed half-initialized to one of them (ImportError).
from sources.action_network import action_network_source
from sources.action_network.settings import PARENT_OF_RESOURCE
from sources.http import Credential, CredentialRegistry, Credentials, UsedCredentials
from sources.nationbuilder import nationbuilder_source
from sources.nationbuilder.deletions import DeletionLog
from warehouse.deletions import apply_deletions
from warehouse.destination import connect

SOURCES = ("nationbuilder", "action_network")
# Keep dlt's load ids on Arrow rows, so every raw row says which load brought it.
os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
quiet_expected_dlt_notices()


@dataclass
class SourceRun:
    """What one source's extract and load did: for the run summary and the exit code."""

    source: str
    started: float
    account: str = "default"
    seconds: float = 0.0
    ok: bool = False
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    load_ids: list[str] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list, repr=False)

    @property
    def label(self) -> str:
        """The source, and the account when it is not the default one (`nationbuilder:north`)."""
        return self.source if self.account == "default" else f"{self.source}:{self.account}"


def tag_account(name: str) -> Callable[[Any], Any]:
    """A map step giving every Arrow page an `account` column, so each raw row says whose it is."""

    def tag(item: Any) -> Any:
        if isinstance(item, pa.Table | pa.RecordBatch) and "account" not in item.schema.names:
            column = pa.array([name] * item.num_rows, type=pa.string())
            return item.append_column("account", column)
        return item

    return tag


def build_source(
    source: str | Account,
    registry: Credentials,
    deletions: DeletionLog,
    resources: list[str] | None,
) -> Any:
    account = source if isinstance(source, Account) else Account(source)
    if account.source == "nationbuilder":
        built = nationbuilder_source(registry=registry, deletions=deletions, **account.settings)
    else:
        built = action_network_source(registry=registry, **account.settings)
    if resources:
        built = built.with_resources(*resources_for(built, resources))
    for resource in built.selected_resources.values():
        resource.add_map(tag_account(account.name))
    return built


def resources_for(built: Any, tables: list[str]) -> list[str]:
    """Resource names that fill the asked-for tables (an Action Network parent table, such as
    `petitions`, is filled by its actions' resource, and a table may be asked by resource name)."""
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
    source: str | Account,
    warehouse: Path,
    registry: Credentials,
    full_refresh: bool,
    resources: list[str] | None,
) -> SourceRun:
    """Extract, normalize and load one account of a source, then stamp the deletions its sweep
    found. A failure is kept in the result: it never touches another account's pipeline."""
    account = source if isinstance(source, Account) else Account(source)
    result = SourceRun(account.source, time.time(), account=account.name)
    deletions = DeletionLog()
    used = UsedCredentials(registry)
    try:
        pipeline = open_pipeline(account, warehouse, lambda p: drop_repeated_rows(p, warehouse))
        built = build_source(account, used, deletions, resources)
        info = pipeline.run(built, refresh="drop_sources") if full_refresh else pipeline.run(built)
        drop_repeated_rows(pipeline, warehouse)
        result.load_ids = list(info.loads_ids)
        result.rows = rows_loaded(pipeline)
        if deletions.found:
            with connect(warehouse) as con:
                result.deleted = apply_deletions(con, account.dataset, deletions.found)
        result.ok = True
    except Exception as exc:  # reported in the summary; the CLI turns it into one line
        result.error = describe(exc)
    finally:
        result.seconds = time.time() - result.started
        result.credentials = used.used
    return result


def drop_repeated_rows(pipeline: dlt.Pipeline, warehouse: Path) -> dict[str, int]:
    """Keep one row per key in the pipeline's replaced tables (see warehouse/duplicates.py):
    a resumed package can insert a file twice, an API can repeat a record across pages."""
    from warehouse.duplicates import drop_duplicate_keys

    keys = {
        name: [column for column, hints in table["columns"].items() if hints.get("primary_key")]
        for name, table in pipeline.default_schema.tables.items()
        if table.get("write_disposition") == "replace" and not name.startswith("_dlt")
    }
    with connect(warehouse) as con:
        return drop_duplicate_keys(con, pipeline.dataset_name, keys)


def run_sources(
    sources: list[str] | list[Account],
    warehouse: Path,
    *,
    full_refresh: bool = False,
    resources: list[str] | None = None,
    registry: CredentialRegistry | None = None,
    on_start: Callable[[CredentialRegistry], None] | None = None,
) -> list[SourceRun]:
    """Every account of every source at once: each has its own rate budget (its own credential),
    so a run takes about as long as its largest account. A source given by name runs each of
    its configured accounts."""
    from pipelines.config import plan_accounts

    jobs = [item for item in sources if isinstance(item, Account)]
    jobs += plan_accounts([item for item in sources if isinstance(item, str)])
    registry = registry or CredentialRegistry()
    if on_start:
        on_start(registry)
    workers = max(len(jobs), 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="extract") as pool:
        futures = [
            pool.submit(run_one, job, warehouse, registry, full_refresh, resources) for job in jobs
        ]
        return [future.result() for future in futures]


def describe(exc: BaseException) -> str:
    """The innermost meaningful error as one line (dlt wraps source errors in step failures)."""
    from pipelines.errors import one_line_error

    return one_line_error(exc)
