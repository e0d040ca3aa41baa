"""`make bench`: fetch rate against each API's limit, marts at scale; figures to a file."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path("bench") / "results"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only", choices=("fetch", "marts", "reliability", "simulator"), default=None
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    if args.only in (None, "fetch"):
        from bench.fetch import run_fetch_bench

        sizes = {"nb_signups": 3_000, "an_people": 300} if args.quick else {}
        report["fetch"] = run_fetch_bench(**sizes)
        print_fetch(report["fetch"])
    if args.only in (None, "marts"):
        from bench.marts import run_marts_bench

        people, actions = (20_000, 100_000) if args.quick else (1_000_000, 5_000_000)
        report["marts"] = run_marts_bench(people=people, actions=actions)
        print(f"marts: {json.dumps(report['marts'], default=str)}")
    if args.only in (None, "reliability"):
        from bench.reliability import run_reliability_bench

        report["reliability"] = run_reliability_bench()
        print(f"reliability: {json.dumps(report['reliability'], default=str)}")
    if args.only in (None, "simulator"):
        from bench.simulator import run_simulator_bench

        report["simulator"] = run_simulator_bench(10_000 if args.quick else 100_000)
        print(f"simulator: {json.dumps(report['simulator'])}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"figures written to {out}")


def print_fetch(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'api':<16}{'mode':<12}{'req/s':>8}{'limit':>7}{'share':>8}{'records/s':>11}{'429s':>6}"
    )
    for row in rows:
        print(
            f"{row['api']:<16}{row['mode']:<12}{row['requests_per_s']:>8}"
            f"{row['limit_requests_per_s']:>7}{row['share_of_limit']:>8.0%}"
            f"{row['records_per_s']:>11}{row['responses_429']:>6}"
        )


if __name__ == "__main__":
    main()
