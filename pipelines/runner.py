"""One job: lock the warehouse, extract, build the marts, record the summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipelines.accounts import Account
from pipelines.extract import run_sources
from pipelines.progress import Progress
from pipelines.summary import RunSummary, save
from sources.http import CredentialRegistry
from sources.spec import SourceSpec
from warehouse.location import ensure_writable
from warehouse.lock import run_lock


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
    """Run what the command asks; the summary says what happened, even when something failed."""
    ensure_writable(warehouse)
    with run_lock(warehouse):
        summary = RunSummary(command)
        error: str | None = None
        if extract:
            registry = CredentialRegistry()
            with Progress(registry, log_format):
                runs = run_sources(
                    sources,
                    warehouse,
                    full_refresh=full_refresh,
                    resources=resources,
                    registry=registry,
                )
            summary.add_extract(runs)
            transform = transform and any(run.ok for run in runs)
        if transform:
            from warehouse.transform import TransformError, build_marts

            try:
                summary.transform = build_marts(warehouse)
            except TransformError as exc:
                error = f"transform: {exc}"
        summary.finish(error)
        save(warehouse, summary)
    return summary
