"""The warehouse as tests read it: live keys against the simulator's truth, cursors, secrets.

`compare()` is the one definition of "the warehouse equals the truth" every end-to-end test uses:
each raw collection's live keys, no duplicates, donation sums, and the marts' answers.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.workdir import pipelines_dir
from simulator.server import RunningSimulator
from sources.action_network.settings import NESTED as AN_NESTED
from sources.action_network.settings import PEOPLE as AN_PEOPLE
from sources.nationbuilder.settings import COLLECTIONS as NB_COLLECTIONS
from tests.support.simulator import truth
from tests.transforms.helpers import expected_figures, figures_of
from warehouse.models import load_models

# The marts, as the transforms define them.
MARTS = tuple(sorted(name for name, model in load_models().items() if model.layer == "marts"))
# Incremental tables and the column their cursor follows (resource state key = table name).
CURSORS = {
    "nationbuilder": {spec.name: spec.cursor for spec in NB_COLLECTIONS if spec.cursor},
    "action_network": dict.fromkeys(
        (AN_PEOPLE.name, *(spec.child.name for spec in AN_NESTED if spec.incremental)),
        "modified_at",
    ),
}


@contextmanager
def kept_open(warehouse: Path) -> Iterator[None]:
    """The file open read-only for the block: each `query` inside joins that open database
    instead of opening the file (and reading its catalog) again."""
    with duckdb.connect(str(warehouse), read_only=True):
        yield


def query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def records(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    """A query's rows as dicts keyed by column name."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def execute(warehouse: Path, sql: str) -> None:
    """A statement that changes the warehouse (a test setting up a broken state)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def live_count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int | None:
    """Rows not marked deleted; None when the table does not exist."""
    present = columns(con, schema, table)
    if not present:
        return None
    where = " where deleted_at is null" if "deleted_at" in present else ""
    row = con.execute(f'select count(*) from "{schema}"."{table}"{where}').fetchone()
    return int(row[0]) if row else 0


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


def _live(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, key: str
) -> tuple[set[Any], int]:
    """Keys of the rows not marked deleted, and how many keys appear more than once."""
    present = columns(con, schema, table)
    if not present:
        return set(), 0
    where = "where deleted_at is null" if "deleted_at" in present else ""
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
    return figures_of(con) if columns(con, "analytics", "people") else {}


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


# ---- dlt state: where each incremental resource would start next ----------------------------
def pipeline_folder(warehouse: Path, source: str) -> Path:
    return pipelines_dir(warehouse) / f"civic_{source}"


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
        if not columns(con, source, "_dlt_pipeline_state"):
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
    problems: list[str] = []
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
                if column in columns(con, source, table):
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
        text_columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        for schema, table, column in text_columns:
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
                stored = json.dumps(decompress_state(state))
                found += [f"{schema} state: {s[:6]}..." for s in secrets if s in stored]
    return found


def copy_warehouse(source: Path, target: Path) -> None:
    """A warehouse and its dlt folder, copied: the same starting point for several runs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    shutil.copytree(pipelines_dir(source).parent, pipelines_dir(target).parent)
