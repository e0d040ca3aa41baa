"""The run summary: printed at the end of every run and kept in the warehouse (`civic_etl`)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.extract import SourceRun
from warehouse.runlog import open_run, remember_unrecorded, save_run


@dataclass
class ResourceLine:
    source: str
    resource: str
    records: int = 0
    rows_loaded: int = 0
    requests: int = 0
    retries: int = 0
    responses_429: int = 0
    limiter_wait_seconds: float = 0.0
    seconds: float = 0.0


@dataclass
class RunSummary:
    """Everything a person (or a scheduler) wants to know about one run."""

    command: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    status: str = "running"
    error: str | None = None
    sources: list[SourceRun] = field(default_factory=list)
    resources: list[ResourceLine] = field(default_factory=list)
    transform: dict[str, Any] | None = None
    accounts: list[str] = field(default_factory=list)  # labels of the accounts it extracts

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def add_extract(self, runs: list[SourceRun]) -> None:
        self.sources.extend(runs)
        for run in runs:
            # each account's own credential; none if it failed before asking for one
            stats = run.credentials[0].stats if run.credentials else None
            names = set(run.rows) | (set(stats.resources) if stats else set())
            for name in sorted(n for n in names if n != "oauth"):
                counters = stats.resources.get(name) if stats else None
                line = ResourceLine(run.label, name, rows_loaded=run.rows.get(name, 0))
                if counters is not None:
                    line.records = counters.records
                    line.requests = counters.requests
                    line.retries = counters.retries
                    line.responses_429 = counters.responses_429
                    line.limiter_wait_seconds = round(counters.limiter_wait_seconds, 2)
                    line.seconds = round(getattr(counters, "active_seconds", 0.0), 2)
                self.resources.append(line)

    def finish(self, error: str | None = None) -> None:
        self.finished_at = datetime.now(UTC)
        # API errors already start with the source's name: say it once.
        failed = [
            f"{run.label}: {(run.error or '').removeprefix(f'{run.source}: ')}"
            for run in self.sources
            if not run.ok
        ]
        self.error = error or ("; ".join(failed) if failed else None)
        self.status = "failed" if self.error else "succeeded"

    def end(self, status: str, error: str) -> None:
        """Ended other than by finishing: `refused` (locked or busy), `interrupted` (Ctrl-C)."""
        self.finished_at = datetime.now(UTC)
        self.status = status
        self.error = error

    @property
    def seconds(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "status": self.status,
            "error": self.error,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 2),
            "accounts": [
                {
                    "account": run.label,
                    "ok": run.ok,
                    "seconds": round(run.seconds, 2),
                    "error": run.error,
                }
                for run in self.sources
            ],
            "resources": [asdict(line) for line in self.resources],
            "transform": self.transform,
        }

    def json_lines(self) -> list[dict[str, Any]]:
        """What `--log-format json` prints: one object per resource, then one for the run (its
        accounts, and the transform's figures without its per-model list, which is in the
        warehouse's `civic_etl` log; a scheduler reads the last line for the verdict)."""
        run = self.as_dict()
        level = "info" if self.ok else "error"
        resources = [
            {"level": "info", "event": "resource_summary", "run_id": self.run_id, **line}
            for line in run.pop("resources")
        ]
        transform = run.get("transform")
        if transform and "models" in transform:
            run["transform"] = {k: v for k, v in transform.items() if k != "models"}
            run["transform"]["models"] = len(transform["models"])
        return [*resources, {"level": level, "event": "summary", **run}]

    def render(self) -> str:
        """A plain table: one line per resource, then the totals and the verdict."""
        header = f"{'source':<15}{'resource':<22}{'records':>9}{'loaded':>9}{'requests':>9}"
        header += f"{'retries':>8}{'429s':>6}{'wait s':>8}"
        lines = [header, "-" * len(header)]
        for r in self.resources:
            lines.append(
                f"{r.source:<15}{r.resource:<22}{r.records:>9}{r.rows_loaded:>9}{r.requests:>9}"
                f"{r.retries:>8}{r.responses_429:>6}{r.limiter_wait_seconds:>8.1f}"
            )
        for run in self.sources:
            state = "ok" if run.ok else f"FAILED: {run.error}"
            extra = f", {run.deleted} deletions marked" if run.deleted else ""
            lines.append(f"{run.label}: {state} in {run.seconds:.1f}s{extra}")
        if self.transform is not None:
            lines.append(f"transform: {self.transform.get('summary', '')}")
        lines.append(f"run {self.run_id} {self.status} in {self.seconds:.1f}s")
        return "\n".join(lines)


def run_row(summary: RunSummary) -> dict[str, Any]:
    """The run's row of the run log, as it stands now."""
    return {
        "run_id": summary.run_id,
        "command": summary.command,
        "status": summary.status,
        "error": summary.error,
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
        "seconds": round(summary.seconds, 3) if summary.finished_at else None,
        "transform": summary.transform,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "accounts": ", ".join(summary.accounts) or None,
    }


def begin(warehouse: Path, summary: RunSummary, is_dead: Callable[[str], bool]) -> list[str]:
    """Records the run as "running" and marks killed the runs that left that word behind;
    a line about each of those, for the log."""
    killed = open_run(warehouse, run_row(summary), is_dead)
    return [
        f"run {run_id} (pid {pid} on {host}, started {started:%Y-%m-%d %H:%M}) was killed: "
        "marked so in civic_etl.runs; this run loads what it left"
        for run_id, started, host, pid in killed
    ]


def remember(warehouse: Path, summary: RunSummary) -> None:
    """A run that never reached the warehouse: its row waits beside it for the next run."""
    remember_unrecorded(warehouse, run_row(summary))


def save(warehouse: Path, summary: RunSummary) -> None:
    """Keeps the run and its per-resource lines in the warehouse's run log."""
    save_run(
        warehouse,
        run_row(summary),
        [asdict(line) | {"run_id": summary.run_id} for line in summary.resources],
    )
