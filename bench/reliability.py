"""Reliability figures for `make bench`: nights with faults, kills survived, bad pages tried, and
what the warehouse lost or doubled meanwhile, each run checked against the simulator's truth.

A moderate version of tests/reliability (whose support helpers it uses, so the figures come from the
same checks the tests make): a few minutes on two cores.
"""

from __future__ import annotations

import signal
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support import cli, simulator
from tests.support import warehouse as checks
from tests.support.nights import night_simulator

FAULTS = {
    "http_500": 0.04,
    "http_502": 0.04,
    "http_503": 0.04,
    "reset": 0.04,
    "truncate": 0.04,
    "stall": 0.03,
}
LIMITS: dict[str, Any] = {"rate_limits": True, "nb_rate_limit": 40, "nb_rate_window_s": 1.0}
LIMITS |= {"an_rate_per_s": 50.0, "an_burst": 2, "stall_seconds": 1.0}
CLIENT = {
    "SOURCES__ACTION_NETWORK__READ_TIMEOUT": "0.5",
    "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "50",
}
KILL_POINTS = (
    "response:25",
    "normalize",
    "table_job:tags",
    "sql_job:2",
    "loaded",
    "model:4",
    "checks",
    "published",
)
OUTSIDE_KILLS = (20, 60)  # SIGKILL from outside once the simulator served this many requests
READABLE = ("unknown_fields", "huge_string", "odd_unicode", "coercible_types", "overlap_page")
UNREADABLE = ("missing_id", "wrong_type", "repeat_page", "empty_page")


class Tally:
    """What every checked run added up to."""

    def __init__(self) -> None:
        self.rows_lost = 0
        self.rows_extra = 0
        self.duplicates = 0
        self.problems: list[str] = []

    def check(self, warehouse: Path, sim: Any, label: str) -> bool:
        diff = checks.compare(warehouse, simulator.truth(sim))
        self.rows_lost += diff.rows_lost
        self.rows_extra += diff.rows_extra
        self.duplicates += diff.duplicates
        self.problems += [f"{label}: {problem}" for problem in diff.problems]
        return not diff.problems


def faulty_nights(root: Path, nights: int, tally: Tally) -> dict[str, Any]:
    with night_simulator(faults=FAULTS, **LIMITS) as sim:
        env = cli.cli_env(sim, root, **CLIENT)
        warehouse = root / "w.duckdb"
        ok = 0
        for night in range(nights):
            if night:
                simulator.control(sim, "/_sim/mutate", {"fraction": 0.05})
            result = cli.civic_etl("run", "--warehouse", str(warehouse), env=env)
            clean = tally.check(warehouse, sim, f"faulty night {night + 1}")
            ok += result.returncode == 0 and clean
        stats = simulator.control(sim, "/_sim/stats")
    kinds: Counter[str] = Counter()
    for key, n in stats["faults"].items():
        kinds[key.split(":", 1)[1]] += n
    return {
        "runs_with_faults": nights,
        "runs_with_faults_exact": ok,
        "faults_injected": dict(sorted(kinds.items())),
        "responses_429": sum(stats["throttled"].values()),
        "requests_served": sum(stats["requests"].values()),
    }


def kills(root: Path, points: Sequence[str], tally: Tally) -> dict[str, Any]:
    survived, tried = [], []
    with night_simulator() as sim:
        env = cli.cli_env(sim, root)
        first = root / "first" / "w.duckdb"
        if cli.civic_etl("run", "--warehouse", str(first), env=env).returncode != 0:
            raise RuntimeError("the clean first night failed")
        before = checks.analytics_snapshot(first)
        for point in [*points, *(f"outside:{n}" for n in OUTSIDE_KILLS)]:
            simulator.control(sim, "/_sim/reset", {})
            warehouse = root / point.replace(":", "_") / "w.duckdb"
            checks.copy_warehouse(first, warehouse)
            simulator.control(sim, "/_sim/mutate", {"fraction": 0.05})
            if point.startswith("outside:"):
                run = cli.start_civic_etl("run", "--warehouse", str(warehouse), env=env)
                killed = cli.kill_when_served(run, sim, int(point.split(":")[1]))
            else:
                result = cli.civic_etl("run", "--warehouse", str(warehouse), env=env, kill_at=point)
                killed = result.returncode == -signal.SIGKILL
            tables, figures = checks.analytics_snapshot(warehouse)
            intact = tables == before[0] and (point == "published" or figures == before[1])
            ahead = checks.cursors_ahead(warehouse)
            tally.problems += [f"kill {point}: {problem}" for problem in ahead]
            recovered = cli.civic_etl("run", "--warehouse", str(warehouse), env=env)
            clean = tally.check(warehouse, sim, f"after kill {point}")
            tried.append(point)
            if killed and intact and not ahead and recovered.returncode == 0 and clean:
                survived.append(point)
    return {"kills_survived": len(survived), "kills_tried": len(tried), "kill_points": tried}


def bad_inputs(root: Path, tally: Tally) -> dict[str, Any]:
    """Readable oddities in one run (each must load exactly); unreadable pages one kind a run
    (each must stop the run with one line naming resource and page), then a clean run."""
    readable = [
        {"kind": kind, "api": api, "path_contains": path, "page": page + 1}
        for page, kind in enumerate(READABLE)
        for api, path in (("nationbuilder", "/api/v2/signups"), ("action_network", "/people"))
    ]
    loaded, stopped, tried = 0, 0, 0
    with night_simulator(bad_input=readable) as sim:
        env = cli.cli_env(sim, root)
        warehouse = root / "readable" / "w.duckdb"
        result = cli.civic_etl("run", "--warehouse", str(warehouse), env=env)
        tried += len(readable)
        if result.returncode == 0 and tally.check(warehouse, sim, "readable bad input"):
            loaded += len(readable)
        for kind in UNREADABLE:
            simulator.configure(
                sim, bad_input=[{**spec, "kind": kind, "page": 2} for spec in readable]
            )
            simulator.control(sim, "/_sim/reset", {})
            warehouse = root / kind / "w.duckdb"
            failed = cli.civic_etl("run", "--warehouse", str(warehouse), env=env)
            tried += 2
            errors = cli.error_lines(failed.stderr)
            line = "".join(errors)
            named = all(f"{api}: GET" in line for api in ("nationbuilder", "action_network"))
            if failed.returncode == 1 and len(errors) == 1 and "page 2" in errors[0] and named:
                stopped += 2
            simulator.configure(sim, bad_input=[])
            result = cli.civic_etl("run", "--warehouse", str(warehouse), env=env)
            tally.check(warehouse, sim, f"after {kind}")
    return {
        "bad_inputs_tried": tried,
        "bad_inputs_loaded_exactly": loaded,
        "bad_inputs_stopped_with_one_line": stopped,
    }


def run_reliability_bench(nights: int = 3, points: Sequence[str] = KILL_POINTS) -> dict[str, Any]:
    """Every figure, and `rows_lost`/`duplicates` summed over every run that was checked."""
    started = time.perf_counter()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="civic-etl-reliability-") as tmp:
        root = Path(tmp)
        report = faulty_nights(root / "faults", nights, tally)
        report |= kills(root / "kills", points, tally)
        report |= bad_inputs(root / "bad", tally)
    report |= {
        "rows_lost": tally.rows_lost,
        "rows_extra": tally.rows_extra,
        "duplicates": tally.duplicates,
        "problems": tally.problems[:20],
        "seconds": round(time.perf_counter() - started, 1),
    }
    return report


if __name__ == "__main__":
    import json

    print(json.dumps(run_reliability_bench(), indent=2))
