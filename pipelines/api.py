"""The job in Python, for a scheduler that calls functions rather than commands (Dagster, Airflow).

`extract(accounts=["north"])` is `civic-etl extract --account north`; `transform()` is
`civic-etl transform`. Each returns the run summary the command prints; a configuration that
cannot run raises `ConfigError` (the command's exit 2), a running job `RunLocked` (exit 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipelines.accounts import Account
from pipelines.config import choose_accounts, choose_sources
from pipelines.runner import run_job
from pipelines.summary import RunSummary
from sources.spec import SourceSpec
from warehouse.location import resolve

__all__ = ["extract", "resolve", "transform"]


def extract(
    accounts: Sequence[str] | None = None,
    *,
    sources: Sequence[str] | None = None,
    warehouse: str | Path | None = None,
    resources: list[str] | None = None,
    full_refresh: bool = False,
) -> RunSummary:
    """Extract and load the named accounts (names or labels, as `--account`), else every one."""
    specs, _notes = choose_sources(list(sources) if sources else None)
    jobs: list[SourceSpec | Account] = list(specs)
    if accounts:
        jobs = list(choose_accounts(specs, list(accounts)))
    return run_job(
        "extract",
        resolve(warehouse),
        sources=jobs,
        transform=False,
        resources=resources,
        full_refresh=full_refresh,
    )


def transform(*, warehouse: str | Path | None = None) -> RunSummary:
    """Build the marts once, from every account that has landed in the warehouse."""
    return run_job(
        "transform",
        resolve(warehouse),
        sources=[],
        extract=False,
    )
