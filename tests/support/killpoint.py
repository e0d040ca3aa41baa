"""`civic-etl` that SIGKILLs itself at a chosen point: `python -m tests.support.killpoint ...`.

A kill from outside lands wherever the run happens to be; these land exactly where a crash hurts
most, so each can be asserted on. The process dies as a power cut would: no finally blocks, no
atexit, files and DuckDB left as they are.

    pipeline:N   after the N-th dlt pipeline folder was opened, before it is synced
    state:N      after dlt saved a pipeline's state.json for the N-th time
    schema:N     after dlt saved a schema file for the N-th time
    sync:N       as the N-th sync of a pipeline with the warehouse starts
    request:N    as the N-th API request is about to be sent
    response:N   after the N-th API response arrived (mid-extract, both sources in flight)
    file:N       after the extract closed its N-th data file, before the package is committed
    extracted    after the first source's package was committed, before it is normalized
    normalize    when the first source finished extracting, before its rows are normalized
    load         when the first source's package is normalized, before anything is loaded
    load_job:N   after the N-th file was inserted into DuckDB, before dlt recorded it as done
    table_job:T  after a file of table T was inserted into DuckDB, before dlt recorded it as done
    sql_job:N    after the N-th SQL job (merges, replaces) ran, before dlt recorded it as done
    loaded       after the first package was loaded, before its deletions were marked
    model:N      mid-transform, as the N-th model is about to be built
    checks       every model built, before the checks run and anything is published
    published    the marts published, before the run summary is saved

`fail:POINT` raises instead of killing, with the error DuckDB gives a process that finds the
warehouse file open in another one (what a reader opened mid-run once did to the load step).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_counts: dict[str, int] = {}


_fail = False
HELD_FILE = (
    'IO Error: Could not set lock on file "{path}": Conflicting lock is held in '
    "/usr/bin/python3 (PID 4242). However, you would be able to open this database in read-only "
    "mode, e.g. by using the -readonly parameter in the CLI."
)


def die() -> None:
    if _fail:
        import duckdb

        raise duckdb.IOException(HELD_FILE.format(path="warehouse.duckdb"))
    os.kill(os.getpid(), signal.SIGKILL)


def tick(name: str, at: int) -> None:
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1
        if _counts[name] >= at:
            die()


def before(owner: Any, attribute: str, name: str, at: int) -> None:
    """Kill on the `at`-th call of owner.attribute, before it runs."""
    original: Callable[..., Any] = getattr(owner, attribute)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tick(name, at)
        return original(*args, **kwargs)

    setattr(owner, attribute, wrapper)


def after(owner: Any, attribute: str, name: str, at: int) -> None:
    """Kill once the `at`-th call of owner.attribute has returned."""
    original: Callable[..., Any] = getattr(owner, attribute)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        tick(name, at)
        return result

    setattr(owner, attribute, wrapper)


def after_table_job(job_class: Any, table: str) -> None:
    original = job_class.run

    def run(self: Any) -> None:
        original(self)
        if self.load_table_name == table:
            die()

    job_class.run = run


def around_send(name: str, at: int) -> None:
    """Kill as the `at`-th request is sent (`request`) or once its response is in (`response`)."""
    from sources.http.client import ApiClient

    original = ApiClient._send

    async def _send(self: ApiClient, call: Any) -> Any:
        if name == "request":
            tick(name, at)
        reply = await original(self, call)
        if name == "response":
            tick(name, at)
        return reply

    ApiClient._send = _send  # type: ignore[method-assign]


def install(point: str) -> None:
    global _fail
    if point.startswith("fail:"):
        _fail, point = True, point.removeprefix("fail:")
    name, _, number = point.partition(":")
    at = int(number) if number.isdigit() else 1
    if name in ("request", "response"):
        around_send(name, at)
    elif name == "pipeline":
        from dlt.pipeline.pipeline import Pipeline

        after(Pipeline, "_configure", name, at)
    elif name == "state":
        from dlt.pipeline.pipeline import Pipeline

        after(Pipeline, "_save_state", name, at)
    elif name == "schema":
        from dlt.common.storages.schema_storage import SchemaStorage

        after(SchemaStorage, "_save_schema", name, at)
    elif name == "sync":
        from dlt.pipeline.pipeline import Pipeline

        before(Pipeline, "_sync_destination", name, at)
    elif name == "file":
        from dlt.common.data_writers.buffered import BufferedDataWriter

        after(BufferedDataWriter, "_flush_and_close_file", name, at)
    elif name == "extracted":
        from dlt.pipeline.pipeline import Pipeline

        after(Pipeline, "extract", name, at)
    elif name in ("normalize", "load"):
        from dlt.pipeline.pipeline import Pipeline

        before(Pipeline, name, name, at)
    elif name == "load_job":
        from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

        after(DuckDbCopyJob, "run", name, at)
    elif name == "table_job":
        from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

        after_table_job(DuckDbCopyJob, number)
    elif name == "sql_job":
        from dlt.destinations.job_client_impl import SqlLoadJob

        after(SqlLoadJob, "run", name, at)
    elif name == "loaded":
        from dlt.load.load import Load

        after(Load, "complete_package", name, at)
    elif name == "model":
        import warehouse.transform

        before(warehouse.transform, "rewrite", name, at)
    elif name == "checks":
        import warehouse.transform

        before(warehouse.transform, "_run_checks", name, at)
    elif name == "published":
        import pipelines.runner

        before(pipelines.runner, "save", name, at)
    else:
        raise SystemExit(f"unknown kill point {point!r}")


if __name__ == "__main__":
    install(sys.argv[1])
    from pipelines.cli import main

    sys.exit(main(sys.argv[2:]))
