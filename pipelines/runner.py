"""One job: lock the warehouse, record the run, extract, build the marts, record how it ended."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from pipelines.accounts import Account
from pipelines.extract import accounts_to_run, run_sources
from pipelines.progress import Progress
from pipelines.summary import RunSummary, begin, remember, save
from sources.http import CredentialRegistry
from sources.spec import SourceSpec
from warehouse.destination import is_duckdb_file
from warehouse.location import ensure_writable
from warehouse.lock import JobLock, RunLocked, Work, job_lock

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted; the next run resumes from the last completed load"


def run_job(
    command: str,
    warehouse: Path,
    *,
    sources: Sequence[str | SourceSpec | Account],
    extract: bool = True,
    transform: bool = True,
    resources: list[str] | None = None,
    full_refresh: bool = False,
    log_format: str = "text",
) -> RunSummary:
    """Run what the command asks; the summary says what happened, even when something failed.

    ConfigError (nothing ran, nothing is recorded) before anything is locked; RunLocked when
    another run or session holds what this one needs (the run is recorded as "refused").
    Every run that got its locks has a row in `civic_etl.runs` from its start: "running" until
    it ends, then how it ended; one killed meanwhile is marked "killed" by the next.
    """
    accounts = accounts_to_run(sources, resources) if extract else []
    ensure_writable(warehouse)
    summary = RunSummary(command, accounts=[account.label for account in accounts])
    work = Work(
        summary.run_id,
        command,
        {account.label: account.pipeline_name for account in accounts},
        transform,
    )
    with ExitStack() as stack:
        try:
            lock = stack.enter_context(job_lock(warehouse, work))
        except RunLocked as exc:
            summary.end("refused", str(exc))
            record_unreached(warehouse, summary)
            raise
        for line in begin(warehouse, summary, lock.is_dead):
            log.warning(line)
        try:
            _run(summary, warehouse, lock, accounts, transform, resources, full_refresh, log_format)
        except KeyboardInterrupt:
            summary.end("interrupted", INTERRUPTED)
            save(warehouse, summary)
            raise
        except RunLocked as exc:
            summary.finish(str(exc))
            save(warehouse, summary)
            raise
        except Exception as exc:
            from pipelines.errors import one_line_error

            summary.finish(one_line_error(exc))
            save(warehouse, summary)
            raise
        save(warehouse, summary)
    return summary


def _run(
    summary: RunSummary,
    warehouse: Path,
    lock: JobLock,
    accounts: list[Account],
    transform: bool,
    resources: list[str] | None,
    full_refresh: bool,
    log_format: str,
) -> None:
    error: str | None = None
    if accounts:
        registry = CredentialRegistry()
        with Progress(registry, log_format):
            runs = run_sources(
                accounts,
                warehouse,
                full_refresh=full_refresh,
                resources=resources,
                registry=registry,
            )
        summary.add_extract(runs)
        transform = transform and any(run.ok for run in runs)
    if transform:
        from warehouse.transform import TransformError, build_marts

        with lock.transform():
            try:
                summary.transform = build_marts(warehouse)
            except TransformError as exc:
                error = f"transform: {exc}"
    summary.finish(error)


def record_unreached(warehouse: Path, summary: RunSummary) -> None:
    """The row of a run refused before it could write to the warehouse: into the log where it
    can be written now (a shared warehouse stays reachable), else kept beside the warehouse
    for the next run to record (a DuckDB file held by someone else cannot be written)."""
    if not is_duckdb_file():
        try:
            save(warehouse, summary)
            return
        except Exception:  # unreachable too: keep it locally, as for a DuckDB file
            pass
    remember(warehouse, summary)
