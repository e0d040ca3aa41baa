"""`civic-etl simulate`: serve the local NationBuilder + Action Network simulator on a port."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from simulator.settings import FAULT_KINDS, SimConfig


def build_parser() -> argparse.ArgumentParser:
    defaults = SimConfig()
    parser = argparse.ArgumentParser(
        prog="civic-etl simulate",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description=(
            "A local NationBuilder (under /nationbuilder) and Action Network (under "
            "/action_network/api/v2) with their paging, filters, auth, rate limits and error "
            "bodies, plus /_sim/ control routes (truth, mutate, stats, config, reset). "
            f"NationBuilder accepts the token given by --nb-token (default {defaults.nb_token!r}) "
            "as `Authorization: Bearer ...`; Action Network accepts the keys given by --an-key "
            f"(default {defaults.an_keys[0]!r}) as `OSDI-API-Token`."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="population seed")
    parser.add_argument(
        "--nb-signups",
        type=int,
        default=defaults.nb_signups,
        help="NationBuilder signups (people) to serve",
    )
    parser.add_argument(
        "--nb-donations", type=int, default=defaults.nb_donations, help="NationBuilder donations"
    )
    parser.add_argument(
        "--nb-lists", type=int, default=defaults.nb_lists, help="NationBuilder lists"
    )
    parser.add_argument(
        "--an-people", type=int, default=defaults.an_people, help="Action Network people"
    )
    parser.add_argument(
        "--an-actions",
        type=int,
        default=defaults.an_actions,
        help="Action Network actions of every kind, in all",
    )
    parser.add_argument(
        "--an-timestamps",
        choices=("live", "doc"),
        default=defaults.an_timestamps,
        help="live: created_date/modified_date; doc: created_at/modified_at",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=defaults.latency_ms, help="added to every answer"
    )
    parser.add_argument(
        "--an-deep-page-ms",
        type=float,
        default=defaults.an_deep_page_ms,
        help="extra Action Network latency per page number",
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="serve without 429s")
    parser.add_argument(
        "--nb-rate-limit",
        type=int,
        default=defaults.nb_rate_limit,
        help="NationBuilder requests per window per token",
    )
    parser.add_argument(
        "--nb-rate-window",
        type=float,
        default=defaults.nb_rate_window_s,
        help="seconds of NationBuilder's fixed rate window",
    )
    parser.add_argument(
        "--an-rate",
        type=float,
        default=defaults.an_rate_per_s,
        help="Action Network requests per second per key",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help=f"inject a fault with a probability per request; kinds: {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=defaults.stall_seconds,
        help="how long a stall fault holds an answer",
    )
    parser.add_argument("--nb-token", default=defaults.nb_token, help="the accepted NB token")
    parser.add_argument(
        "--an-key",
        action="append",
        default=None,
        help=f"an accepted Action Network key (repeatable; default {defaults.an_keys[0]!r})",
    )
    parser.add_argument(
        "--token-ttl-seconds", type=float, default=None, help="NB tokens expire after this"
    )
    parser.add_argument(
        "--token-ttl-requests", type=int, default=None, help="NB tokens expire after this many"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from simulator.server import run_forever

    args = build_parser().parse_args(argv)
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
