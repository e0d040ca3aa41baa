"""`make bench`: fetch rate against each API's limit, marts at scale; figures to a file."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path("bench") / "results"
SECTIONS = ("fetch", "marts", "reliability", "simulator")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=SECTIONS, default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    out = RESULTS / "latest.json"
    # One section run alone replaces only its own figures in the file.
    report: dict[str, Any] = json.loads(out.read_text()) if args.only and out.exists() else {}
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report |= {"when": when, "machine": f"{platform.machine()}, {platform.python_version()}"}
    report["sections"] = report.get("sections", {}) | {
        name: {"when": when, "quick": args.quick} for name in SECTIONS if args.only in (None, name)
    }
    if args.only in (None, "fetch"):
        from bench.fetch import FULL, QUICK, render_fetch, run_fetch_bench

        report["fetch"] = run_fetch_bench(QUICK if args.quick else FULL)
        print(render_fetch(report["fetch"]))
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
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
