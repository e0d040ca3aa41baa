"""`civic-etl`: the command line a person or a scheduler runs."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipelines.logs import configure_logging
from pipelines.options import add_warehouse_options
from pipelines.stopping import TERMINATED_EXIT_CODE, Terminated, terminated_as_interrupt
from writeback import add_writeback_commands

if TYPE_CHECKING:
    from pipelines.accounts import Account
    from sources.spec import SourceSpec


def add_simulate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`simulate ARGS`: the simulator's own command line (`civic-etl simulate --help`)."""
    sim = commands.add_parser(
        "simulate",
        help="serve the local NationBuilder + Action Network simulator",
        add_help=False,
    )
    sim.add_argument("arguments", nargs=argparse.REMAINDER)


def add_job_options(parser: argparse.ArgumentParser, *, extract: bool = True) -> None:
    add_warehouse_options(parser)
    if extract:
        parser.add_argument(
            "--source",
            action="append",
            default=None,
            help="nationbuilder or action_network (repeatable; default: every configured one)",
        )
        parser.add_argument(
            "--account",
            action="append",
            default=None,
            help="only this account: `north`, `default` (the unnamed one) or `nationbuilder:north`"
            " (repeatable, or comma-separated; default: every configured account)",
        )
        parser.add_argument(
            "--resources",
            default=None,
            help="comma-separated tables to extract, e.g. signups,donations",
        )
        parser.add_argument(
            "--full-refresh",
            action="store_true",
            help="drop the sources' tables and cursors and load everything again",
        )


def split_sources(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def job(args: argparse.Namespace) -> int:
    """run / extract / transform: one job, its summary, and an exit code a scheduler can trust."""
    from pipelines.config import ConfigError, choose_accounts, choose_sources
    from pipelines.runner import run_job
    from warehouse.location import WarehouseError, resolve
    from warehouse.lock import RunLocked

    warehouse = resolve(args.warehouse)
    extract = args.command in ("run", "extract")
    try:
        sources, notes = choose_sources(split_sources(args.source)) if extract else ([], [])
        asked = split_sources(args.account) if extract else None
        jobs: list[SourceSpec | Account] = list(sources)
        if asked:
            jobs = list(choose_accounts(sources, asked))
        for note in notes:
            log(args, note)
        resources = args.resources.split(",") if extract and args.resources else None
        summary = run_job(
            args.command,
            warehouse,
            sources=jobs,
            extract=extract,
            transform=args.command in ("run", "transform"),
            resources=resources,
            full_refresh=extract and args.full_refresh,
            log_format=args.log_format,
        )
    except (ConfigError, WarehouseError, RunLocked) as exc:
        return fail(args, str(exc), 3 if isinstance(exc, RunLocked) else 2)
    if args.log_format == "json":
        for line in summary.json_lines():
            print(json.dumps(line, default=str))
    else:
        print(summary.render())
    if not summary.ok:
        return fail(args, f"{summary.error} (warehouse {warehouse}; see `civic-etl status`)", 1)
    return 0


def log(args: argparse.Namespace, message: str) -> None:
    if getattr(args, "log_format", "text") == "json":
        print(json.dumps({"level": "info", "event": "note", "message": message}), file=sys.stderr)
    else:
        print(f"civic-etl: {message}", file=sys.stderr)


def fail(args: argparse.Namespace, message: str, code: int) -> int:
    if getattr(args, "log_format", "text") == "json":
        print(json.dumps({"level": "error", "event": "error", "message": message}), file=sys.stderr)
    else:
        print(f"civic-etl: error: {message}", file=sys.stderr)
    return code


def status(args: argparse.Namespace) -> int:
    from pipelines.status import render_status
    from warehouse.destination import DestinationError
    from warehouse.location import WarehouseError, resolve
    from warehouse.lock import RunLocked

    warehouse = resolve(args.warehouse)
    try:
        print(render_status(warehouse))
    except (WarehouseError, DestinationError) as exc:
        return fail(args, str(exc), 2)
    except RunLocked as exc:
        return fail(args, str(exc), 3)
    return 0


def query(args: argparse.Namespace) -> int:
    from pipelines.query import run_query
    from warehouse.destination import DestinationError, is_duckdb_file
    from warehouse.location import WarehouseError, ensure_readable, resolve
    from warehouse.segments import SegmentError

    warehouse = resolve(args.warehouse)
    try:
        if is_duckdb_file():
            ensure_readable(warehouse)
        return run_query(warehouse, args.sql, args.format)
    except (WarehouseError, DestinationError, SegmentError) as exc:
        return fail(args, str(exc), 2)


def demo(args: argparse.Namespace) -> int:
    from pipelines.demo import run_demo

    return run_demo(args.warehouse)


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("civic-etl")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civic-etl",
        description="NationBuilder and Action Network into one DuckDB warehouse.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    add_job_options(
        commands.add_parser("run", help="extract every configured source, load, build the marts")
    )
    add_job_options(commands.add_parser("extract", help="extract and load only"))
    add_job_options(
        commands.add_parser("transform", help="build the analytics marts only"), extract=False
    )
    status_parser = commands.add_parser(
        "status", help="last runs, row counts, cursors, warehouse size"
    )
    status_parser.add_argument("--warehouse")
    query_parser = commands.add_parser(
        "query", help="run a SELECT on the warehouse (read-only); without SQL, a prompt"
    )
    query_parser.add_argument("sql", nargs="?", help="one SELECT (default: stdin, or a prompt)")
    query_parser.add_argument("--warehouse")
    query_parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_simulate(commands)
    add_writeback_commands(commands)
    demo_parser = commands.add_parser(
        "demo", help="simulator + full run into data/demo.duckdb + a tour"
    )
    demo_parser.add_argument("--warehouse", default="data/demo.duckdb")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:  # the simulator parses its own options (and its --help)
        from simulator.command import main as simulator_main

        return simulator_main(argv[1:])
    args = build_parser().parse_args(argv)
    handlers = {
        "run": job,
        "extract": job,
        "transform": job,
        "status": status,
        "query": query,
        "demo": demo,
    }
    handler = handlers.get(args.command) or args.func
    configure_logging(getattr(args, "log_format", "text"))
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, AbandonedAtShutdown) for f in asyncio_log.filters):
        asyncio_log.addFilter(AbandonedAtShutdown())
    try:
        with terminated_as_interrupt():
            return int(handler(args))
    except Terminated:
        message = "terminated (SIGTERM); the next run resumes from the last completed load"
        return fail(args, message, TERMINATED_EXIT_CODE)
    except KeyboardInterrupt:
        return fail(args, "interrupted; the next run resumes from the last completed load", 130)
    except Exception as exc:  # the last resort: a scheduler's log gets one line, not a traceback
        if os.environ.get("CIVIC_ETL_DEBUG"):
            raise
        from pipelines.errors import malformed_settings_file, one_line_error

        if (problem := malformed_settings_file(exc)) is not None:
            return fail(args, problem, 2)

        hint = "set CIVIC_ETL_DEBUG=1 for the traceback"
        return fail(args, f"unexpected failure: {one_line_error(exc)} ({hint})", 1)


class AbandonedAtShutdown(logging.Filter):
    """Drops asyncio's reports on the tasks and generators dlt abandons when a source fails.

    dlt stops its extract loop as soon as one resource raises, before the others have unwound;
    asyncio then reports every generator and task left behind, in lines that bury the run's one
    error line (which already says what failed).
    """

    NOISE = (
        "an error occurred during closing of asynchronous generator",
        "Task exception was never retrieved",
        "Task was destroyed but it is pending",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.NOISE)


if __name__ == "__main__":
    sys.exit(main())
