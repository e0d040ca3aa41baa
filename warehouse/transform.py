"""Build the SQL models in transforms/ into `analytics`, check them, and publish all or nothing.

The whole build is one DuckDB transaction: `analytics` is dropped, every model is created
again in dependency order, every declared check runs, and only then does the transaction
commit. Until the commit, every other connection keeps seeing the previous `analytics` (DuckDB's
snapshot isolation), so no reader ever sees a half-built or mixed schema; a failing model or
check rolls everything back and leaves the previous build in place, as does a crash.

Building in a scratch schema and swapping it in would cost a full copy of every table at the
end, since DuckDB cannot move a table between schemas (no ALTER TABLE ... SET SCHEMA, no schema
rename): about a third of the build time at a million people. The transaction gives the same
guarantee without the copy. `analytics` belongs to the transforms: a model deleted from
transforms/ disappears from it on the next build, and so does anything else put there by hand.
Staging and intermediate models go to `analytics_internal`, built and published alike, so that
`analytics` holds only what a BI user should pick from: the marts and a user's own models.

On PostgreSQL (`CIVIC_ETL_DESTINATION=postgres`) the same holds: its DDL is transactional too, so
the build is one transaction there as well, every statement translated from DuckDB's dialect by
sqlglot (warehouse/destination.py).

A user's own models, in the folder `CIVIC_ETL_MODELS_DIR` names, are part of the same build:
built after the project's (in their own dependency order), checked alike, published or rolled
back with everything else.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse.checks import Check, CheckFailure, describe_failure, quote
from warehouse.destination import DUCKDB, Connection, connect, database_errors
from warehouse.duckdb_loads import SETTING_NAMES
from warehouse.models import (
    INTERNAL_LAYERS,
    TRANSFORMS_DIR,
    CycleError,
    Model,
    ModelError,
    TransformError,
    build_order,
    classify,
    internal_schema,
    load_models,
    model_targets,
    rewrite,
    table_references,
    user_models_dir,
)
from warehouse.raw import RawTable, StandIn, load_declarations, prepare_stand_ins

__all__ = [
    "BuildError",
    "BuildResult",
    "CheckFailure",
    "CycleError",
    "ModelError",
    "ModelRun",
    "TransformError",
    "build",
    "build_marts",
    "build_order",
    "load_project",
]

DEFAULT_SCHEMA = "analytics"


@dataclass
class ModelRun:
    """How long one model took to build and how many rows it has."""

    name: str
    layer: str
    seconds: float
    rows: int


@dataclass
class BuildResult:
    """What a build did: per-model seconds and rows, checks, stand-ins, whether it published."""

    schema: str
    models: list[ModelRun] = field(default_factory=list)
    checks_run: int = 0
    failed_checks: list[CheckFailure] = field(default_factory=list)
    stand_ins: list[StandIn] = field(default_factory=list)
    checks_seconds: float = 0.0
    publish_seconds: float = 0.0
    seconds: float = 0.0
    published: bool = False

    @property
    def ok(self) -> bool:
        return self.published and not self.failed_checks

    def summary(self) -> str:
        """One line for a run summary."""
        held = self.checks_run - len(self.failed_checks)
        state = f"published to {self.schema}" if self.published else "NOT published"
        return (
            f"{len(self.models)} models in {self.seconds:.1f}s, "
            f"{held}/{self.checks_run} checks held, {state}"
        )

    def render(self) -> str:
        """A few lines for a terminal: one per model, then checks and the total."""
        width = max((len(run.name) for run in self.models), default=10)
        lines = [f"{r.name:<{width}}  {r.seconds:7.2f} s  {r.rows:>12,} rows" for r in self.models]
        lines += [f"stand-in: {stand_in}" for stand_in in self.stand_ins]
        failed = len(self.failed_checks)
        lines.append(f"checks: {self.checks_run - failed}/{self.checks_run} held")
        lines += [f"  FAILED {failure}" for failure in self.failed_checks]
        lines.append(self.summary())
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the run log (`civic_etl.runs.transform`)."""
        return {
            "summary": self.summary(),
            "schema": self.schema,
            "published": self.published,
            "seconds": round(self.seconds, 3),
            "checks_seconds": round(self.checks_seconds, 3),
            "publish_seconds": round(self.publish_seconds, 3),
            "models": [
                {"name": r.name, "layer": r.layer, "seconds": round(r.seconds, 3), "rows": r.rows}
                for r in self.models
            ],
            "checks_run": self.checks_run,
            "failed_checks": [str(failure) for failure in self.failed_checks],
            "stand_ins": [str(stand_in) for stand_in in self.stand_ins],
        }


class BuildError(TransformError):
    """A model or a check failed; `result` holds what was built and which checks failed."""

    def __init__(self, message: str, result: BuildResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Project:
    """The models and the raw tables they may read, loaded from one transforms folder."""

    models: dict[str, Model]
    order: list[str]
    raw_tables: dict[tuple[str, str], RawTable]


def load_project(root: Path | None = None, models_dir: Path | None = None) -> Project:
    """Read and validate every model, its checks and the raw-table declarations; order them.

    `models_dir` holds a user's own models; by default the folder `CIVIC_ETL_MODELS_DIR` names.
    """
    root = root or TRANSFORMS_DIR
    declared = load_declarations(root)
    models = load_models(root, declared, models_dir or user_models_dir())
    return Project(models, build_order(models), declared)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _connection(
    warehouse: str | os.PathLike[str] | duckdb.DuckDBPyConnection | Connection,
) -> Iterator[Connection]:
    if isinstance(warehouse, Connection):
        yield warehouse
        return
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        yield Connection(warehouse, DUCKDB)
        return
    opened = connect(Path(warehouse))
    try:
        con = opened.__enter__()
    except Exception as exc:
        raise TransformError(f"cannot open the warehouse {warehouse}: {_one_line(exc)}") from None
    if con.is_duckdb:
        # A run keeps its DuckDB file open from start to end, so the loads' settings
        # (warehouse/duckdb_loads.py) are still set on it: the marts are built with DuckDB's
        # own (every core, its memory limit).
        for setting in SETTING_NAMES:
            con.run(f"reset global {setting}")
    try:
        yield con
    finally:
        opened.__exit__(None, None, None)


def project_targets(project: Project, schema: str) -> dict[tuple[str, str], str]:
    """Where the project's models live in a build into `schema` (staging and intermediate in
    its internal schema)."""
    internal = [name for name, model in project.models.items() if model.layer in INTERNAL_LAYERS]
    return model_targets(project.models, schema, internal)


def _check_sql(check: Check, project: Project, targets: dict[tuple[str, str], str]) -> str:
    references, ctes = table_references(check.sql, check.name)
    classify(references, ctes, project.models, project.raw_tables, check.name)
    return rewrite(check.sql, references, targets)


def _build_models(
    con: Connection,
    project: Project,
    targets: dict[tuple[str, str], str],
    schema: str,
    result: BuildResult,
) -> None:
    for name in project.order:
        model = project.models[name]
        sql = rewrite(model.sql, model.references, targets)
        began = time.perf_counter()
        try:
            # the newline ends a trailing `-- comment` in the model's text
            rows = con.run(f"create table {targets[('', name)]} as {sql}\n")
        except database_errors() as exc:
            raise BuildError(f"model {name} failed to build: {_one_line(exc)}", result) from None
        result.models.append(ModelRun(name, model.layer, time.perf_counter() - began, rows))


def _run_checks(
    con: Connection,
    project: Project,
    targets: dict[tuple[str, str], str],
    result: BuildResult,
) -> None:
    started = time.perf_counter()
    for name in project.order:
        for check in project.models[name].checks:
            sql = _check_sql(check, project, targets)
            result.checks_run += 1
            try:
                row = next(iter(con.query(sql)), None)
            except database_errors() as exc:  # a broken check aborts the transaction: stop here
                failure = CheckFailure(name, check.name, f"could not run: {_one_line(exc)}")
                result.failed_checks.append(failure)
                raise BuildError(str(failure), result) from None
            problems, example, expected = row if row else (1, None, None)
            if problems:
                result.failed_checks.append(describe_failure(check, problems, example, expected))
    result.checks_seconds = time.perf_counter() - started
    if result.failed_checks:
        first, more = result.failed_checks[0], len(result.failed_checks) - 1
        suffix = f" (and {more} more failed check(s))" if more else ""
        raise BuildError(f"{first}{suffix}", result)


def _build_in_transaction(
    con: Connection, project: Project, schema: str, result: BuildResult
) -> None:
    """Replace `schema` with freshly built, checked models; the caller commits or rolls back."""
    scratch = f"{schema}__stand_ins"
    for each in (schema, internal_schema(schema), scratch):
        con.run(f"drop schema if exists {quote(each)} cascade")
        con.run(f"create schema {quote(each)}")
    used = {source for model in project.models.values() for source in model.sources}
    result.stand_ins = prepare_stand_ins(con, used, project.raw_tables, scratch)
    targets = project_targets(project, schema)
    targets.update({(s.schema, s.table): s.relation for s in result.stand_ins})
    _build_models(con, project, targets, schema, result)
    _run_checks(con, project, targets, result)
    con.run(f"drop schema {quote(scratch)} cascade")


def _rollback(con: Connection) -> None:
    """Roll back unless DuckDB already has (a failed commit ends the transaction itself)."""
    with suppress(*database_errors()):
        con.rollback()


def build(
    warehouse: str | os.PathLike[str] | duckdb.DuckDBPyConnection | Connection,
    *,
    root: Path | None = None,
    schema: str = DEFAULT_SCHEMA,
    models_dir: Path | None = None,
) -> BuildResult:
    """Build every model into `schema`, or raise `TransformError` and leave `schema` untouched.

    `warehouse` is a DuckDB file path or an open connection (left open, and not inside a
    transaction). Rebuilding is idempotent: each build replaces `schema` whole. `models_dir`
    (default: `CIVIC_ETL_MODELS_DIR`) adds a user's own models to the build.
    """
    started = time.perf_counter()
    project = load_project(root, models_dir)
    result = BuildResult(schema)
    with _connection(warehouse) as con:
        try:
            con.begin()
        except database_errors() as exc:
            raise TransformError(f"cannot start the build: {_one_line(exc)}") from None
        try:
            _build_in_transaction(con, project, schema, result)
            began = time.perf_counter()
            con.commit()
        except BaseException as exc:
            _rollback(con)
            result.seconds = time.perf_counter() - started
            if isinstance(exc, BuildError):
                raise BuildError(f"{exc}; {schema} left unchanged", result) from None
            if isinstance(exc, database_errors()):
                raise BuildError(f"the build failed: {_one_line(exc)}", result) from None
            raise
        result.publish_seconds = time.perf_counter() - began
        result.published = True
    result.seconds = time.perf_counter() - started
    return result


def build_marts(warehouse: str | os.PathLike[str]) -> dict[str, Any]:
    """`build` for the job runner: the result as JSON-ready data, or `TransformError`."""
    return build(warehouse).as_dict()


def check_built(
    warehouse: str | os.PathLike[str], model: str, *, schema: str = DEFAULT_SCHEMA
) -> tuple[int, list[CheckFailure]]:
    """Run one built model's checks again, as an orchestrator's asset check does after a build:
    how many ran, and the ones that did not hold."""
    project = load_project()
    targets = project_targets(project, schema)
    failures: list[CheckFailure] = []
    checks = project.models[model].checks
    with _connection(warehouse) as con:
        for check in checks:
            row = next(iter(con.query(_check_sql(check, project, targets))), None)
            problems, example, expected = row if row else (1, None, None)
            if problems:
                failures.append(describe_failure(check, problems, example, expected))
    return len(checks), failures
