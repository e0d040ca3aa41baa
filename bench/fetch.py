"""Fetching side by side (issue 19): this layer, plain sequential paging and dlt's rest_api.

Each way runs as its own process against the simulator, itself another process, on the same
collection: NationBuilder signups (v2 page numbers, 100 a page) and Action Network people (HAL,
25 a page, no totals), with the simulator's rate limits on (NB a fixed window of 250 per 10 s
per token, AN 4/s per key) at 0, 150 and 500 ms latency.

- `layer`: the real CLI as a user runs it (`python -m pipelines.cli extract ...`), default
  rate settings, landing into DuckDB.
- `sequential`: one request at a time following the pages (`bench/sequential.py`); lands nothing.
- `rest_api`: dlt's rest_api source configured by hand (`bench/restapi.py`), landing into DuckDB.

Figures per run. The fetch window is the simulator's first to last request arrival (its
`/_sim/stats` `first_arrival`/`last_arrival`, on the same time.monotonic clock as this process;
a simulator without them leaves the window from process start to exit, and says so). Requests/s
and records/s are over that window, and the share of the limit counts the requests it let
through (429s excluded); `startup` is process start to the first request the server saw, `tail`
the last request's arrival to process exit (the last responses, then landing), `wall` start to
exit. Peak RSS and CPU seconds are the fetching process's (`os.wait4`); CPU seconds and the load
average beside them tell work done from time lost to a busy machine. 429s are the simulator's.

Also: records/s at scale (NB signups, zero latency, no limits on either side, so the client's
own throttle is raised too) and a resume measurement (an AN people load SIGKILLed once 75% of
an uninterrupted run's requests arrived, then run again to the end).

A full run takes about 20 minutes on two cores: NB at 20k is 201 requests (about 8 s at 25/s,
30 s and 100 s one at a time at 150 and 500 ms), AN at 2k about 81 (20 s at 4/s), and rest_api
spends about a minute landing 20k signups. `--quick` takes about a minute and a half.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from bench.procs import Finished, run_measured
from bench.simproc import sim_json, simulator_process

MODES = ("layer", "sequential", "rest_api")
RESUME_KILL_SHARE = 0.75


@dataclass(frozen=True)
class Collection:
    """One collection measured: its API, table, page size, documented limit, simulator knobs."""

    api: str
    table: str
    per_page: int
    limit_per_s: float
    size_flag: str
    limit_flags: tuple[str, ...]

    @property
    def limit_records_per_s(self) -> float:
        return self.limit_per_s * self.per_page


NB = Collection(
    "nationbuilder",
    "signups",
    100,
    25.0,
    "--nb-signups",
    ("--nb-rate-limit", "250", "--nb-rate-window", "10"),
)
AN = Collection("action_network", "people", 25, 4.0, "--an-people", ("--an-rate", "4"))
COLLECTIONS = (NB, AN)
# The other API's population when one is measured: small, so the simulator starts fast.
SMALL = {"--nb-signups": "10", "--nb-donations": "10", "--an-people": "10", "--an-actions": "10"}


@dataclass(frozen=True)
class Plan:
    """Sizes and latencies of one run of the section."""

    sizes: dict[str, int]
    latencies: tuple[int, ...]
    scale_signups: tuple[int, ...]
    rest_api_scale_max: int  # rest_api lands signups in memory-hungry INSERTs: not beyond this
    resume_people: int
    resume_rate: float  # AN requests/s of the resume runs, simulator and client alike
    resume_signups: int


FULL = Plan(
    sizes={"nationbuilder": 20_000, "action_network": 2_000},
    latencies=(0, 150, 500),
    scale_signups=(20_000, 100_000, 200_000),
    rest_api_scale_max=20_000,
    resume_people=2_000,
    resume_rate=4.0,
    resume_signups=20_000,
)
QUICK = Plan(  # rest_api is left out at scale: its landing alone would double the run
    sizes={"nationbuilder": 2_000, "action_network": 200},
    latencies=(150,),
    scale_signups=(5_000,),
    rest_api_scale_max=0,
    resume_people=200,
    resume_rate=20.0,
    resume_signups=2_000,
)


def sim_args(
    collection: Collection, size: int, latency_ms: float, limits: Sequence[str] | None
) -> list[str]:
    """Simulator flags: `limits` None serves without rate limits."""
    rates = ["--no-rate-limits"] if limits is None else list(limits)
    sizes = SMALL | {collection.size_flag: str(size)}
    flags = [part for pair in sizes.items() for part in pair]
    return [*flags, "--latency-ms", str(latency_ms), *rates]


def client_env(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment a user sets to point the CLI at the simulator; every way reads it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    env |= {
        "SOURCES__NATIONBUILDER__BASE_URL": f"{url}/nationbuilder",
        "SOURCES__NATIONBUILDER__ACCESS_TOKEN": "nb-test-token",
        "SOURCES__NATIONBUILDER__TOKEN_CACHE": str(workdir / "tokens.json"),
        "SOURCES__ACTION_NETWORK__BASE_URL": f"{url}/action_network/api/v2",
        "SOURCES__ACTION_NETWORK__API_KEY": "an-test-key",
    }
    return env | extra


def command(mode: str, collection: Collection, workdir: Path) -> list[str]:
    python = sys.executable
    if mode == "layer":
        warehouse = str(workdir / "w.duckdb")
        selection = ["--source", collection.api, "--resources", collection.table]
        return [python, "-m", "pipelines.cli", "extract", "--warehouse", warehouse, *selection]
    if mode == "sequential":
        return [python, "-m", "bench.sequential", collection.api]
    return [python, "-m", "bench.restapi", collection.api, "--workdir", str(workdir)]


def count_rows(warehouse: Path, collection: Collection) -> tuple[int, int | None]:
    """Rows in the collection's table, and distinct ids where the table has an `id` column."""
    if not warehouse.exists():
        return 0, None
    table = f"{collection.api}.{collection.table}"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [collection.api, collection.table],
        ).fetchall()
        columns = {name for (name,) in found}
        if not columns:
            return 0, None
        distinct = "count(distinct id)" if "id" in columns else "null"
        row = con.execute(f"select count(*), {distinct} from {table}").fetchone()
    return (int(row[0]), None if row[1] is None else int(row[1])) if row else (0, None)


def records_of(mode: str, collection: Collection, workdir: Path, done: Finished) -> int:
    if mode == "sequential":
        lines = done.stdout.strip().splitlines()
        return int(json.loads(lines[-1])["records"]) if done.code == 0 and lines else 0
    return count_rows(workdir / "w.duckdb", collection)[0]


def figures(
    collection: Collection, mode: str, done: Finished, stats: dict[str, Any], records: int
) -> dict[str, Any]:
    """One run's figures from its process and the simulator's counters (see the docstring)."""
    api = collection.api
    requests = int(stats["requests"].get(api, 0))
    first = stats.get("first_arrival", {}).get(api)
    last = stats.get("last_arrival", {}).get(api)
    if first is not None and last is not None:
        window, source = last - first, "server arrivals"
        startup, tail = first - done.started, done.ended - last
    else:
        window, source, startup, tail = done.seconds, "client process start to exit", None, None
    throttled = int(stats["throttled"].get(api, 0))

    def per_s(count: float) -> float | None:
        return round(count / window, 2) if window > 0 else None

    answered = per_s(requests - throttled)  # what the limit let through
    row: dict[str, Any] = {
        "api": api,
        "collection": collection.table,
        "mode": mode,
        "lands_in_duckdb": mode != "sequential",
        "records": records,
        "requests": requests,
        "responses_429": throttled,
        "max_in_flight": stats.get("max_in_flight", {}).get(api),
        "fetch_window_s": round(window, 2),
        "window_from": source,
        "requests_per_s": per_s(requests),
        "answered_requests_per_s": answered,
        "limit_requests_per_s": collection.limit_per_s,
        "share_of_limit": None if answered is None else round(answered / collection.limit_per_s, 3),
        "records_per_s": per_s(records),
        "records_per_s_end_to_end": round(records / done.seconds, 1),
        "peak_rss_mb": done.peak_rss_mb,
        "cpu_s": done.cpu_s,
        "load_average_1m": round(os.getloadavg()[0], 1),  # other work on the machine meanwhile
        "startup_s": None if startup is None else round(startup, 2),
        "tail_s": None if tail is None else round(tail, 2),
        "wall_s": round(done.seconds, 2),
    }
    if done.code != 0:
        row["error"] = done.last_error_line()
    return row


def measure(
    url: str, collection: Collection, mode: str, size: int, latency_ms: float, **env: str
) -> dict[str, Any]:
    """One way of fetching; the simulator is reset first (population, rate-limit windows and
    counters), so each way starts as on a simulator of its own."""
    sim_json(url, "/_sim/reset", {})
    sim_json(url, "/_sim/stats/reset", {})
    with tempfile.TemporaryDirectory(prefix="fetch-") as tmp:
        workdir = Path(tmp)
        done = run_measured(command(mode, collection, workdir), client_env(url, workdir, **env))
        stats = sim_json(url, "/_sim/stats")
        records = records_of(mode, collection, workdir, done)
    row = figures(collection, mode, done, stats, records)
    row |= {"latency_ms": latency_ms, "size": size, "complete": records == size}
    if mode == "rest_api" and done.code == 0:  # dlt's own step timings, from its trace
        row["dlt_steps_s"] = json.loads(done.stdout.strip().splitlines()[-1])["step_seconds"]
    print(f"  {_line(row)}", flush=True)
    return row


def run_side_by_side(plan: Plan) -> list[dict[str, Any]]:
    """Every way, latency and collection with the simulator's limits on and default settings."""
    rows = []
    for collection in COLLECTIONS:
        size = plan.sizes[collection.api]
        for latency in plan.latencies:
            args = sim_args(collection, size, latency, collection.limit_flags)
            with simulator_process(*args) as url:
                rows += [measure(url, collection, mode, size, latency) for mode in MODES]
    return rows


def run_scale(plan: Plan) -> list[dict[str, Any]]:
    """NB signups at zero latency and no limits: what the process itself can take."""
    unthrottled = {"SOURCES__NATIONBUILDER__RATE_PER_SECOND": "100000"}
    rows = []
    for size in plan.scale_signups:
        with simulator_process(*sim_args(NB, size, 0, None)) as url:
            rows.append(measure(url, NB, "layer", size, 0, **unthrottled))
            if size <= plan.rest_api_scale_max:
                rows.append(measure(url, NB, "rest_api", size, 0))
    return rows


RESUME_CHUNK_SETTINGS = {
    "nationbuilder": "SOURCES__NATIONBUILDER__CHUNK_PAGES",
    "action_network": "SOURCES__ACTION_NETWORK__CHUNK_PAGES",
}


def run_resume(collection: Collection, size: int, rate: float | None = None) -> dict[str, Any]:
    """A first load killed at 75% of an uninterrupted run's requests, then run again: AN people
    at `rate` requests/s (simulator and client), NB signups at the simulator's fixed window."""
    if rate is None:
        limits, client = collection.limit_flags, {}
    else:
        limits = ("--an-rate", f"{rate:g}")
        client = {"SOURCES__ACTION_NETWORK__RATE_PER_SECOND": f"{rate:g}"}
    # Chunks of a twentieth of the collection, so a kill at 75% shows what resuming saves: the
    # defaults (AN 400 pages, NB 2,500) would read these few thousand in one chunk, where a
    # 1M-people first load has a hundred of them. (A chunk is the most a kill costs: with
    # tenths, a kill just into a chunk read it again, 26 of 82 requests at 2,000 people.)
    chunk = max(1, math.ceil(size / collection.per_page / 20))
    env = client | {RESUME_CHUNK_SETTINGS[collection.api]: str(chunk)}
    with (
        simulator_process(*sim_args(collection, size, 0, limits)) as url,
        tempfile.TemporaryDirectory(prefix="resume-") as tmp,
    ):
        full, resumed = Path(tmp) / "full", Path(tmp) / "resumed"

        def served() -> int:
            return int(sim_json(url, "/_sim/stats")["requests"].get(collection.api, 0))

        def layer(workdir: Path, threshold: int | None = None) -> tuple[Finished, int]:
            sim_json(url, "/_sim/stats/reset", {})
            workdir.mkdir(exist_ok=True)
            kill_when = None if threshold is None else lambda: served() >= threshold
            done = run_measured(
                command("layer", collection, workdir),
                client_env(url, workdir, **env),
                kill_when=kill_when,
                poll=0.01 if kill_when is None else 0.05,
            )
            return done, served()

        uninterrupted, full_requests = layer(full)
        threshold = math.ceil(RESUME_KILL_SHARE * full_requests)
        killed, killed_requests = layer(resumed, threshold)
        rows_after_kill = count_rows(resumed / "w.duckdb", collection)[0]
        second, second_requests = layer(resumed)
        rows, distinct = count_rows(resumed / "w.duckdb", collection)
        truths = sim_json(url, "/_sim/truth")[collection.api][collection.table]
        truth = int(truths["count"])
    return {
        "api": collection.api,
        "collection": collection.table,
        "records": size,
        "rate_per_s": rate if rate is not None else collection.limit_per_s,
        "chunk_pages": chunk,
        "uninterrupted_requests": full_requests,
        "uninterrupted_s": round(uninterrupted.seconds, 2),
        "kill_at_requests": threshold,
        "killed_after_requests": killed_requests,
        "killed_by_signal": killed.code < 0,
        "rows_after_kill": rows_after_kill,
        "second_run_requests": second_requests,
        "second_run_s": round(second.seconds, 2),
        "second_run_share_of_uninterrupted": round(second_requests / full_requests, 3),
        "rows_loaded": rows,
        "rows_distinct": distinct,
        "rows_truth": truth,
        "matches_truth": second.code == 0 and rows == truth and distinct == truth,
    }


def run_fetch_bench(plan: Plan = FULL) -> dict[str, Any]:
    started = time.perf_counter()
    print(f"fetch: side by side, rate limits on\n  {HEADER}", flush=True)
    side_by_side = run_side_by_side(plan)
    print(f"fetch: NB signups at scale, zero latency, no limits\n  {HEADER}", flush=True)
    scale = run_scale(plan)
    print("fetch: resume after a kill (AN people, NB signups)", flush=True)
    resume = [
        run_resume(AN, plan.resume_people, plan.resume_rate),
        run_resume(NB, plan.resume_signups),
    ]
    return {
        "plan": dataclasses.asdict(plan),
        "limits": {
            c.api: {"requests_per_s": c.limit_per_s, "records_per_s": c.limit_records_per_s}
            for c in COLLECTIONS
        },
        "notes": [
            "sequential lands nothing (it counts records); layer and rest_api land into DuckDB",
            "layer and rest_api run with default settings; at scale the layer's client "
            "throttle is raised (SOURCES__NATIONBUILDER__RATE_PER_SECOND=100000), as the "
            "simulator enforces no limit there",
            f"rest_api at scale only up to {plan.rest_api_scale_max} signups (none: not at "
            "scale): its default landing (insert_values statements into DuckDB) grows in time "
            "and memory with the load; see its tail and RSS",
            f"resume runs AN at {plan.resume_rate:g} requests/s (simulator and client) and NB "
            f"at its fixed window; the kill comes once {RESUME_KILL_SHARE:.0%} of an "
            "uninterrupted run's requests arrived at the simulator",
        ],
        "side_by_side": side_by_side,
        "scale": scale,
        "resume": resume,
        "seconds": round(time.perf_counter() - started, 1),
    }


# ---- the readable table -----------------------------------------------------------------------
COLUMNS = (
    ("api", "api", 15, "s"),
    ("mode", "mode", 11, "s"),
    ("latency_ms", "lat ms", 7, "g"),
    ("records", "records", 8, "d"),
    ("requests", "req", 5, "d"),
    ("responses_429", "429s", 5, "d"),
    ("max_in_flight", "infl", 5, "d"),
    ("fetch_window_s", "window s", 9, ".1f"),
    ("requests_per_s", "req/s", 7, ".1f"),
    ("share_of_limit", "share", 6, ".0%"),
    ("records_per_s", "rec/s", 8, ".0f"),
    ("peak_rss_mb", "RSS MB", 7, ".0f"),
    ("cpu_s", "cpu s", 7, ".1f"),
    ("startup_s", "start s", 8, ".1f"),
    ("tail_s", "tail s", 7, ".1f"),
    ("wall_s", "wall s", 7, ".1f"),
    ("load_average_1m", "load", 6, ".1f"),
)


HEADER = "".join(
    f"{title:<{width}}" if spec == "s" else f"{title:>{width}}" for _, title, width, spec in COLUMNS
)


def _cell(value: Any, width: int, spec: str) -> str:
    text = "-" if value is None else format(value, spec)
    return f"{text:<{width}}" if spec == "s" else f"{text:>{width}}"


def _line(row: dict[str, Any]) -> str:
    text = "".join(_cell(row.get(key), width, spec) for key, _, width, spec in COLUMNS)
    return text + (f"  ERROR {row['error']}" if "error" in row else "")


def render_fetch(report: dict[str, Any]) -> str:
    limits = ", ".join(
        f"{api} {figures['requests_per_s']:g} req/s ({figures['records_per_s']:g} records/s)"
        for api, figures in report["limits"].items()
    )
    out = [f"fetch, rate limits on (limits: {limits}); sequential lands nothing", HEADER]
    out += [_line(row) for row in report["side_by_side"]]
    out += ["", "NB signups at scale: zero latency, no rate limits (records/s over the window)"]
    out += [HEADER] + [_line(row) for row in report["scale"]]
    out.append("")
    out += [
        f"resume: {r['api']} {r['collection']} {r['records']} at {r['rate_per_s']:g} req/s, "
        f"chunks of {r['chunk_pages']} pages: uninterrupted {r['uninterrupted_requests']} "
        f"requests; killed after {r['killed_after_requests']} ({r['rows_after_kill']} rows "
        f"landed); second run {r['second_run_requests']} requests "
        f"({r['second_run_share_of_uninterrupted']:.0%} of uninterrupted); rows "
        f"{r['rows_loaded']} vs truth {r['rows_truth']}"
        f" ({'match' if r['matches_truth'] else 'MISMATCH'})"
        for r in report["resume"]
    ]
    return "\n".join(out)
