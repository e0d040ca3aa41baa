"""`civic-etl`: the command line a person or a scheduler runs."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from pipelines.logs import configure_logging
from pipelines.options import add_warehouse_options
from pipelines.writeback import add_writeback_commands
from simulator.settings import FAULT_KINDS, SimConfig


def add_simulate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = commands.add_parser(
        "simulate", help="serve the local NationBuilder + Action Network simulator"
    )
    defaults = SimConfig()
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--seed", type=int, default=defaults.seed)
    sim.add_argument("--nb-signups", type=int, default=defaults.nb_signups)
    sim.add_argument("--nb-donations", type=int, default=defaults.nb_donations)
    sim.add_argument("--nb-lists", type=int, default=defaults.nb_lists)
    sim.add_argument("--an-people", type=int, default=defaults.an_people)
    sim.add_argument("--an-actions", type=int, default=defaults.an_actions)
    sim.add_argument(
        "--an-timestamps",
        choices=("live", "doc"),
        default=defaults.an_timestamps,
        help="live: created_date/modified_date; doc: created_at/modified_at",
    )
    sim.add_argument("--latency-ms", type=float, default=defaults.latency_ms)
    sim.add_argument(
        "--an-deep-page-ms",
        type=float,
        default=defaults.an_deep_page_ms,
        help="extra Action Network latency per page number",
    )
    sim.add_argument("--no-rate-limits", action="store_true", help="serve without 429s")
    sim.add_argument(
        "--nb-rate-limit",
        type=int,
        default=defaults.nb_rate_limit,
        help="NationBuilder requests per window per token",
    )
    sim.add_argument("--nb-rate-window", type=float, default=defaults.nb_rate_window_s)
    sim.add_argument(
        "--an-rate",
        type=float,
        default=defaults.an_rate_per_s,
        help="Action Network requests per second per key",
    )
    sim.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help=f"inject a fault with a probability; kinds: {', '.join(FAULT_KINDS)}",
    )
    sim.add_argument("--stall-seconds", type=float, default=defaults.stall_seconds)
    sim.add_argument("--nb-token", default=defaults.nb_token)
    sim.add_argument(
        "--an-key", action="append", default=None, help="an accepted Action Network key"
    )
    sim.add_argument("--token-ttl-seconds", type=float, default=None)
    sim.add_argument("--token-ttl-requests", type=int, default=None)


def simulate(args: argparse.Namespace) -> int:
    from simulator.server import run_forever

    faults: dict[str, float] = {}
    for item in args.fault:
        kind, _, rate = item.partition("=")
        faults[kind] = float(rate or 0.05)
    config = SimConfig()
    try:
        config.update(
            {
                "seed": args.seed,
                "nb_signups": args.nb_signups,
                "nb_donations": args.nb_donations,
                "nb_lists": args.nb_lists,
                "an_people": args.an_people,
                "an_actions": args.an_actions,
                "an_timestamps": args.an_timestamps,
                "latency_ms": args.latency_ms,
                "an_deep_page_ms": args.an_deep_page_ms,
                "rate_limits": not args.no_rate_limits,
                "nb_rate_limit": args.nb_rate_limit,
                "nb_rate_window_s": args.nb_rate_window,
                "an_rate_per_s": args.an_rate,
                "faults": faults,
                "stall_seconds": args.stall_seconds,
                "nb_token": args.nb_token,
                "an_keys": args.an_key or config.an_keys,
                "nb_token_ttl_seconds": args.token_ttl_seconds,
                "nb_token_ttl_requests": args.token_ttl_requests,
            }
        )
    except ValueError as exc:
        print(f"civic-etl simulate: {exc}", file=sys.stderr)
        return 2
    run_forever(config, args.host, args.port)
    return 0


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
    from pipelines.config import ConfigError, choose_sources
    from pipelines.lock import RunLocked
    from pipelines.runner import run_job
    from warehouse.location import WarehouseError, resolve

    warehouse = resolve(args.warehouse)
    extract = args.command in ("run", "extract")
    try:
        sources, notes = choose_sources(split_sources(args.source)) if extract else ([], [])
        for note in notes:
            log(args, note)
        resources = args.resources.split(",") if extract and args.resources else None
        summary = run_job(
            args.command,
            warehouse,
            sources=sources,
            extract=extract,
            transform=args.command in ("run", "transform"),
            resources=resources,
            full_refresh=extract and args.full_refresh,
            log_format=args.log_format,
        )
    except (ConfigError, WarehouseError, RunLocked) as exc:
        return fail(args, str(exc), 3 if isinstance(exc, RunLocked) else 2)
    if args.log_format == "json":
        print(json.dumps({"event": "summary", **summary.as_dict()}, default=str))
    else:
        print(summary.render())
    if not summary.ok:
        return fail(args, f"{summary.error} (warehouse {warehouse}; see `civic-etl status`)", 1)
    return 0


def log(args: argparse.Namespace, message: str) -> None:
    if getattr(args, "log_format", "text") == "json":
        print(json.dumps({"event": "note", "message": message}), file=sys.stderr)
    else:
        print(f"civic-etl: {message}", file=sys.stderr)


def fail(args: argparse.Namespace, message: str, code: int) -> int:
    if getattr(args, "log_format", "text") == "json":
        print(json.dumps({"event": "error", "message": message}), file=sys.stderr)
    else:
        print(f"civic-etl: error: {message}", file=sys.stderr)
    return code


def status(args: argparse.Namespace) -> int:
    from pipelines.status import render_status
    from warehouse.location import resolve

    warehouse = resolve(args.warehouse)
    if not warehouse.exists():
        return fail(args, f"no warehouse at {warehouse} yet: run `civic-etl run` first", 2)
    print(render_status(warehouse))
    return 0


def demo(args: argparse.Namespace) -> int:
    from pipelines.demo import run_demo

    return run_demo(args.warehouse)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civic-etl",
        description="NationBuilder and Action Network into one DuckDB warehouse.",
    )
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
    add_simulate(commands)
    add_writeback_commands(commands)
    demo_parser = commands.add_parser(
        "demo", help="simulator + full run into data/demo.duckdb + a tour"
    )
    demo_parser.add_argument("--warehouse", default="data/demo.duckdb")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "simulate": simulate,
        "run": job,
        "extract": job,
        "transform": job,
        "status": status,
        "demo": demo,
    }
    handler = handlers.get(args.command) or args.func
    configure_logging(getattr(args, "log_format", "text"))
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, AbandonedAtShutdown) for f in asyncio_log.filters):
        asyncio_log.addFilter(AbandonedAtShutdown())
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return fail(args, "interrupted; the next run resumes from the last completed load", 130)
    except Exception as exc:  # the last resort: a scheduler's log gets one line, not a traceback
        if os.environ.get("CIVIC_ETL_DEBUG"):
            raise
        from pipelines.errors import one_line_error

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
