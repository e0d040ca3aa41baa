"""Shared helpers of the reliability tests: simulator control, `civic-etl` runs, truth checks."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.transforms.helpers import expected_figures, figures_of

REPO = Path(__file__).resolve().parents[2]
KILLPOINT = Path(__file__).resolve().parent / "rel_killpoint.py"
# Big enough for several pages per collection (NB 100 a page, AN 25), small enough for seconds.
SIZES: dict[str, Any] = {
    "nb_signups": 450,
    "nb_donations": 180,
    "nb_lists": 6,
    "an_people": 140,
    "an_actions": 320,
}
# Distinctive credentials, so a search for them cannot hit anything else.
NB_TOKEN = "nbtok-7Q2xLr9VwE4kP0aZ"
AN_KEY = "ankey-3Fh8Tz6MbY1cN5uD"
MARTS = (
    *("actions", "daily_activity", "donations"),
    *("list_memberships", "people", "person_engagement"),
)
# Incremental tables and the column their cursor follows (resource state key = table name).
CURSORS = {
    "nationbuilder": {
        "signups": "updated_at",
        "donations": "updated_at",
        "signup_taggings": "created_at",
        "event_rsvps": "updated_at",
        "memberships": "updated_at",
        "petition_signatures": "updated_at",
        "paths": "updated_at",
        "path_journeys": "updated_at",
    },
    "action_network": dict.fromkeys(
        ("people", "signatures", "attendances", "submissions", "donations", "outreaches"),
        "modified_at",
    ),
}


# ---- the simulator ---------------------------------------------------------------------------
def sim_config(**settings: Any) -> SimConfig:
    return SimConfig(**{**SIZES, "nb_token": NB_TOKEN, "an_keys": [AN_KEY], **settings})


@contextmanager
def simulator(**settings: Any) -> Iterator[RunningSimulator]:
    """A simulator of the test's own, the reliability population and credentials by default."""
    with serve_in_thread(sim_config(**{"rate_limits": False, **settings})) as running:
        yield running


def control(sim: RunningSimulator | str, path: str, body: Any = None) -> Any:
    """GET (no body) or POST JSON to a `/_sim/...` route; the JSON answer."""
    url = sim if isinstance(sim, str) else sim.url
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path,
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def truth(sim: RunningSimulator) -> dict[str, Any]:
    result: dict[str, Any] = control(sim, "/_sim/truth")
    return result


def configure(sim: RunningSimulator, **settings: Any) -> None:
    control(sim, "/_sim/config", settings)


# ---- civic-etl as a subprocess ---------------------------------------------------------------
def cli_env(sim: RunningSimulator, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment a user would set, pointing both sources at the simulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "CIVIC_ETL"))}
    env.update(
        {
            "SOURCES__NATIONBUILDER__BASE_URL": sim.nationbuilder_url,
            "SOURCES__NATIONBUILDER__ACCESS_TOKEN": sim.config.nb_token,
            "SOURCES__NATIONBUILDER__RATE_PER_SECOND": "500",
            "SOURCES__NATIONBUILDER__TOKEN_CACHE": str(tmp / "nb_tokens.json"),
            "SOURCES__ACTION_NETWORK__BASE_URL": sim.action_network_url,
            "SOURCES__ACTION_NETWORK__API_KEY": sim.config.an_keys[0],
            "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "500",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def command(args: Iterable[str], kill_at: str | None = None) -> list[str]:
    """`civic-etl ARGS`, or the same run that SIGKILLs itself at a kill point."""
    if kill_at is None:
        return [sys.executable, "-m", "pipelines.cli", *args]
    return [sys.executable, str(KILLPOINT), kill_at, *args]


def civic_etl(
    *args: str, env: dict[str, str], kill_at: str | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(args, kill_at),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_civic_etl(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(args),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_served(
    process: subprocess.Popen[str], sim: RunningSimulator, requests: int, timeout: float = 120
) -> bool:
    """SIGKILL the run once the simulator has served `requests` requests; False if it ended."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        served = sum(control(sim, "/_sim/stats")["requests"].values())
        if served >= requests:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            return True
        time.sleep(0.02)
    process.communicate(timeout=240)
    return False


def error_lines(stderr: str) -> list[str]:
    """The run's error lines, text (`civic-etl: error: ...`) or JSON (`"event": "error"`)."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("civic-etl: error:"):
            found.append(line)
        elif line.startswith("{") and '"event": "error"' in line:
            found.append(json.loads(line)["message"])
    return found


def assert_one_clear_line(
    result: subprocess.CompletedProcess[str], code: int, *needles: str
) -> str:
    """Exit `code`, no traceback or asyncio noise, and exactly one error line saying `needles`."""
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "asynchronous generator" not in result.stderr, result.stderr[-3000:]
    assert "Task exception" not in result.stderr, result.stderr[-3000:]
    errors = error_lines(result.stderr)
    assert len(errors) == 1, result.stderr[-3000:]
    assert error_lines(result.stderr.strip().splitlines()[-1]), "the error is the last line"
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


# ---- the warehouse against the truth ---------------------------------------------------------
@dataclass
class Diff:
    """How a warehouse differs from the simulator's truth: nothing, when the run was right."""

    problems: list[str] = field(default_factory=list)
    rows_lost: int = 0
    rows_extra: int = 0
    duplicates: int = 0

    def add(self, table: str, expected: set[Any], live: set[Any], duplicates: int) -> None:
        lost, extra = expected - live, live - expected
        self.rows_lost += len(lost)
        self.rows_extra += len(extra)
        self.duplicates += duplicates
        if lost or extra or duplicates:
            self.problems.append(
                f"{table}: {len(lost)} lost (e.g. {sorted(lost, key=str)[:3]}), "
                f"{len(extra)} extra (e.g. {sorted(extra, key=str)[:3]}), {duplicates} duplicates"
            )


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def _live(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, key: str
) -> tuple[set[Any], int]:
    """Keys of the rows not marked deleted, and how many keys appear more than once."""
    columns = _columns(con, schema, table)
    if not columns:
        return set(), 0
    where = "where deleted_at is null" if "deleted_at" in columns else ""
    rows = con.execute(f"select {key} from {schema}.{table} {where}").fetchall()
    dupes = con.execute(
        f"select count(*) - count(distinct ({key})) from {schema}.{table}"
    ).fetchone()
    return {row[0] if len(row) == 1 else tuple(row) for row in rows}, int(dupes[0] if dupes else 0)


def compare(warehouse: Path, expected: dict[str, Any]) -> Diff:
    """Every raw collection's live keys, the donation sums and the marts' totals against truth."""
    diff = Diff()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        nb = expected["nationbuilder"]
        for table, facts in nb.items():
            if table in ("deleted", "list_signups"):
                continue
            live, dupes = _live(con, "nationbuilder", table, "id")
            diff.add(f"nationbuilder.{table}", set(facts["ids"]), live, dupes)
        pairs, dupes = _live(con, "nationbuilder", "list_signups", "list_id, signup_id")
        want = {tuple(pair) for pair in nb["list_signups"]["pairs"]}
        diff.add("nationbuilder.list_signups", want, pairs, dupes)
        for table, facts in expected["action_network"].items():
            live, dupes = _live(con, "action_network", table, "id")
            diff.add(f"action_network.{table}", set(facts["ids"]), live, dupes)
        sums = {
            "nationbuilder.donations": (
                "select sum(amount_in_cents) from nationbuilder.donations where deleted_at is null",
                nb["donations"]["sum_cents"],
            ),
            "action_network.donations": (
                "select sum(amount_cents) from action_network.donations",
                expected["action_network"]["donations"]["sum_cents"],
            ),
        }
        for name, (sql, want_sum) in sums.items():
            row = con.execute(sql).fetchone()
            if (row[0] if row else None) != want_sum:
                diff.problems.append(f"{name}: sum {row} != truth {want_sum}")
        figures, want_figures = mart_figures(con), expected_figures(expected)
        for name, want_value in want_figures.items():
            if figures.get(name) != want_value:
                diff.problems.append(f"analytics {name}: {figures.get(name)} != truth {want_value}")
    return diff


def assert_matches_truth(warehouse: Path, sim: RunningSimulator) -> Diff:
    diff = compare(warehouse, truth(sim))
    assert not diff.problems, "\n".join(diff.problems)
    return diff


def mart_figures(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The marts' answers to what `/_sim/truth["analytics"]` answers (empty without marts)."""
    return figures_of(con) if _columns(con, "analytics", "people") else {}


def analytics_snapshot(warehouse: Path) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The marts `analytics` holds and their figures: what a reader would see right now."""
    if not warehouse.exists():
        return (), {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'analytics' order by 1"
        ).fetchall()
        return tuple(name for (name,) in tables), mart_figures(con)


# ---- dlt state: where each incremental resource would start next -----------------------------
def pipeline_folder(warehouse: Path, source: str) -> Path:
    return warehouse.parent / ".civic-etl" / warehouse.stem / "pipelines" / f"civic_{source}"


def _resource_cursors(state: dict[str, Any], source: str) -> dict[str, str]:
    resources = state.get("sources", {}).get(source, {}).get("resources", {})
    return {
        name: value["cursor"]
        for name, value in resources.items()
        if isinstance(value, dict) and value.get("cursor")
    }


def local_cursors(warehouse: Path, source: str) -> dict[str, str]:
    """The cursors in the pipeline's local state.json (what the next run starts from)."""
    path = pipeline_folder(warehouse, source) / "state.json"
    if not path.exists():
        return {}
    return _resource_cursors(json.loads(path.read_text()), source)


def destination_cursors(warehouse: Path, source: str) -> dict[str, str]:
    """The cursors dlt would restore if the local state were lost: as dlt reads them, from the
    newest state stored by a load that completed (a crashed load's state row does not count)."""
    from dlt.common.versioned_state import decompress_state

    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _columns(con, source, "_dlt_pipeline_state"):
            return {}
        row = con.execute(
            f"select s.state from {source}._dlt_pipeline_state as s "
            f"join {source}._dlt_loads as l on l.load_id = s._dlt_load_id "
            "where l.status = 0 order by l.load_id desc limit 1"
        ).fetchone()
    return _resource_cursors(decompress_state(row[0]), source) if row else {}


def pending_packages(warehouse: Path, source: str) -> int:
    """Load packages extracted or normalized but not yet loaded (the next run lands them first)."""
    folder = pipeline_folder(warehouse, source)
    stages = (folder / "normalize" / "extracted", folder / "load" / "normalized")
    return sum(1 for stage in stages if stage.exists() for p in stage.iterdir() if p.is_dir())


def cursors_ahead(warehouse: Path) -> list[str]:
    """Cursors that point past the newest row of their table that actually landed.

    A cursor ahead of the warehouse means the next run would skip rows: the destination's copy
    must never be ahead, and the local one only while a pending package holds those rows.
    """
    problems = []
    if not warehouse.exists():
        return problems
    for source, tables in CURSORS.items():
        stored = {
            "destination": destination_cursors(warehouse, source),
            "local": local_cursors(warehouse, source),
        }
        with duckdb.connect(str(warehouse), read_only=True) as con:
            newest = {}
            for table, column in tables.items():
                if column in _columns(con, source, table):
                    row = con.execute(f"select max({column}) from {source}.{table}").fetchone()
                    newest[table] = row[0] if row else None
        pending = pending_packages(warehouse, source)
        for where, cursors in stored.items():
            for table, cursor in cursors.items():
                if table not in tables:
                    continue
                landed = newest.get(table)
                if landed is None or datetime.fromisoformat(cursor) > landed:
                    if where == "local" and pending:
                        continue
                    problems.append(
                        f"{where} cursor of {source}.{table} is {cursor}, newest landed {landed}"
                    )
    return problems


# ---- secrets ---------------------------------------------------------------------------------
def readable_text(path: Path) -> bytes:
    """A file's bytes as a search should see them: gzip and Parquet opened up."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except OSError:
            return raw
    if path.suffix == ".parquet" or raw[:4] == b"PAR1":
        import pyarrow.parquet as pq

        return str(pq.read_table(path).to_pylist()).encode()
    return raw


def secrets_in_warehouse(warehouse: Path, secrets: Iterable[str]) -> list[str]:
    """Where the secrets appear: any file beside the warehouse (state, traces, packages), the
    DuckDB file's bytes, any text column of any table, and the states dlt stored, decompressed."""
    from dlt.common.versioned_state import decompress_state

    secrets = [s for s in secrets if s]
    found = []
    files = [p for p in (warehouse.parent / ".civic-etl").rglob("*") if p.is_file()]
    files += [p for p in warehouse.parent.glob(warehouse.name + "*") if p.is_file()]
    for path in files:
        text = readable_text(path)
        found += [f"{path}: {s[:6]}..." for s in secrets if s.encode() in text]
    if not warehouse.exists():
        return found
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        for schema, table, column in columns:
            for secret in secrets:
                row = con.execute(
                    f'select count(*) from "{schema}"."{table}" '
                    f'where contains(cast("{column}" as varchar), ?)',
                    [secret],
                ).fetchone()
                if row and row[0]:
                    found.append(f"{schema}.{table}.{column}: {secret[:6]}...")
        for (schema,) in con.execute(
            "select table_schema from information_schema.tables "
            "where table_name = '_dlt_pipeline_state'"
        ).fetchall():
            states = con.execute(f"select state from {schema}._dlt_pipeline_state").fetchall()
            for (state,) in states:
                text = json.dumps(decompress_state(state))
                found += [f"{schema} state: {s[:6]}..." for s in secrets if s in text]
    return found


def copy_warehouse(source: Path, target: Path) -> None:
    """A warehouse and its dlt folder, copied: the same starting point for several runs."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    shutil.copytree(
        source.parent / ".civic-etl" / source.stem, target.parent / ".civic-etl" / target.stem
    )
