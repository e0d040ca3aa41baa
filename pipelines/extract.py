"""Run each configured account of each source through its own dlt pipeline, concurrently.

Per account: open its pipeline (repairing what a kill left), read from the warehouse what the
source needs to know before it extracts, extract, normalize and load, then let the warehouse
tidy up (repeated rows, deletions). Nothing here knows one source from another: each source's
spec says what its factory takes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa

from pipelines.accounts import Account
from pipelines.logs import quiet_expected_dlt_notices
from pipelines.workdir import has_schema, open_pipeline
from sources import spec_named, specs
from sources.http import Credential, CredentialRegistry, Credentials, UsedCredentials
from sources.spec import RESUME, SourceSpec
from warehouse.upkeep import LoadedTable, live_keys, tidy_after_load

# dlt settings the job relies on, unless the user set them: dlt reads them from the
# environment when each pipeline runs, so they are set before every run, not once at import.
DLT_DEFAULTS = {
    # Keep dlt's load ids on Arrow rows, so every raw row says which load brought it.
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    # A nightly job for organizers' data does not report to dlt's telemetry unless asked.
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    # Files of at most this many rows: normalize and load read one file at a time, so their
    # memory stays the same whatever the size of the collection.
    "DATA_WRITER__FILE_MAX_ITEMS": "20000",
    # DuckDB takes one writer at a time: more load workers only hold more files in memory.
    "LOAD__WORKERS": "1",
}
quiet_expected_dlt_notices()
# Imported here, by the thread that imports this module: imported first by two extract threads
# at once, a package can be handed half-initialized to one of them (ImportError).
specs()


@dataclass
class SourceRun:
    """What one account's extract and load did: for the run summary and the exit code."""

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
    account: Account,
    registry: Credentials,
    resources: list[str] | None,
    known: dict[str, pa.Table] | None = None,
) -> Any:
    """The account's dlt source, its tables selected and tagged with the account."""
    options: dict[str, Any] = {"registry": registry, **account.settings}
    if account.spec.known_tables:
        options["known"] = known or {}
    built = account.spec.factory(**options)
    if resources:
        built = built.with_resources(*account.spec.resources_for(built.resources, resources))
    for resource in built.selected_resources.values():
        resource.add_map(tag_account(account.name))
    return built


def loaded_tables(pipeline: dlt.Pipeline) -> list[LoadedTable]:
    """The raw tables of the pipeline's schema, with their keys and write dispositions."""
    if not has_schema(pipeline):
        return []
    return [
        LoadedTable(
            name,
            tuple(column for column, hints in table["columns"].items() if hints.get("primary_key")),
            table.get("write_disposition") == "replace",
        )
        for name, table in pipeline.default_schema.tables.items()
        if not name.startswith("_dlt")
    ]


def rows_loaded(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows per table in this run's load, without dlt's own bookkeeping tables."""
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    counts = info.row_counts if info else {}
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}


def resuming(pipeline: dlt.Pipeline) -> list[str]:
    """The resources whose first load has chunks left: their committed state holds `RESUME`
    (see `sources/nationbuilder/chunks.py`), so the next load reads the next chunk."""
    return [
        name
        for source in pipeline.state.get("sources", {}).values()
        for name, state in source.get("resources", {}).items()
        if isinstance(state, dict) and RESUME in state
    ]


def run_one(
    account: Account,
    warehouse: Path,
    registry: Credentials,
    full_refresh: bool,
    resources: list[str] | None,
) -> SourceRun:
    """Extract, normalize and load one account, then tidy what it loaded. A failure is kept in
    the result: it never touches another account's pipeline."""
    result = SourceRun(account.source, time.time(), account=account.name)
    used = UsedCredentials(registry)

    def tidy(pipeline: dlt.Pipeline) -> int:
        return tidy_after_load(warehouse, account.dataset, loaded_tables(pipeline)).deletions_marked

    pipeline: dlt.Pipeline | None = None
    try:
        pipeline = open_pipeline(account, warehouse, tidy)
        known_tables = [] if full_refresh else account.spec.known_tables
        known = live_keys(warehouse, account.dataset, ((t.name, t.key) for t in known_tables))
        built = build_source(account, used, resources, known)
        info = pipeline.run(built, refresh="drop_sources") if full_refresh else pipeline.run(built)
        result.load_ids = list(info.loads_ids)
        result.rows = rows_loaded(pipeline)
        selected = set(built.selected_resources)
        while more := [name for name in resuming(pipeline) if name in selected]:
            # Each chunk of a long first load is a load of its own, committing its state.
            info = pipeline.run(build_source(account, used, more, known))
            result.load_ids += info.loads_ids
            for table, count in rows_loaded(pipeline).items():
                result.rows[table] = result.rows.get(table, 0) + count
        result.deleted = tidy(pipeline)
        result.ok = True
    except Exception as exc:  # reported in the summary; the CLI turns it into one line
        result.error = describe(exc) + kept_note(pipeline)
    finally:
        result.seconds = time.time() - result.started
        result.credentials = used.used
    return result


def run_sources(
    sources: Iterable[str | SourceSpec | Account],
    warehouse: Path,
    *,
    full_refresh: bool = False,
    resources: list[str] | None = None,
    registry: CredentialRegistry | None = None,
) -> list[SourceRun]:
    """Every account of every source at once: each has its own rate budget (its own credential),
    so a run takes about as long as its largest account. A source given by its name or spec
    runs each of its configured accounts."""
    for name, value in DLT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    jobs = accounts_of(sources)
    registry = registry or CredentialRegistry()
    with ThreadPoolExecutor(max_workers=max(len(jobs), 1), thread_name_prefix="extract") as pool:
        futures = [
            pool.submit(run_one, job, warehouse, registry, full_refresh, resources) for job in jobs
        ]
        return [future.result() for future in futures]


def accounts_of(sources: Iterable[str | SourceSpec | Account]) -> list[Account]:
    """The accounts a run extracts: those given, and every configured one of a source given by
    its name or spec. ConfigError when a source's configuration cannot run."""
    from pipelines.config import plan_accounts

    asked = list(sources)
    jobs = [item for item in asked if isinstance(item, Account)]
    jobs += plan_accounts(
        [
            spec_named(item) if isinstance(item, str) else item
            for item in asked
            if not isinstance(item, Account)
        ]
    )
    return jobs


def accounts_to_run(
    sources: Iterable[str | SourceSpec | Account], resources: list[str] | None
) -> list[Account]:
    """The accounts to extract, checked before anything is locked or fetched: with `resources`,
    only the accounts whose source fills one of them, and ConfigError (a usage error) naming
    the valid tables when one of them is no table of any chosen source (a typo would
    otherwise extract nothing and succeed)."""
    from pipelines.config import ConfigError

    accounts = accounts_of(sources)
    if not resources:
        return accounts
    first = {account.source: account for account in reversed(accounts)}
    built = {
        source: build_source(account, CredentialRegistry(), None).resources
        for source, account in reversed(first.items())
    }
    tables = {source: first[source].spec.tables(found) for source, found in built.items()}
    valid = {table for names in tables.values() for table in names}
    unknown = [name for name in resources if name not in valid]
    if unknown:
        choices = "; ".join(f"{source}: {', '.join(names)}" for source, names in tables.items())
        raise ConfigError(f"unknown table {unknown[0]!r} in --resources; choose from {choices}")
    return [
        account
        for account in accounts
        if account.spec.resources_for(built[account.source], resources)
    ]


def kept_note(pipeline: dlt.Pipeline | None) -> str:
    """What a failed account's error adds when dlt kept what it extracted (its load package
    stays in the working folder, and the next run loads it before extracting)."""
    if pipeline is None or not pipeline.has_pending_data:
        return ""
    return "; what it extracted is kept and loads with the next run"


def describe(exc: BaseException) -> str:
    """The innermost meaningful error as one line (dlt wraps source errors in step failures)."""
    from pipelines.errors import one_line_error

    return one_line_error(exc)
