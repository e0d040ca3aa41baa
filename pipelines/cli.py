"""`civic-etl`: the command line a person or a scheduler runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civic-etl",
        description="NationBuilder and Action Network into one DuckDB warehouse.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_simulate(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"simulate": simulate}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
