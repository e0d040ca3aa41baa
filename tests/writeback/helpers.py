"""Shared by the write-back tests: a small nation and group, a warehouse made by the test, sim
read-backs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from simulator.server import RunningSimulator
from tests.support.simulator import nb_get, stats, truth
from writeback import AnConnection, NbConnection

SIZES = {"nb_signups": 120, "nb_donations": 30, "nb_lists": 3, "an_people": 30, "an_actions": 60}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def connection(sim: RunningSimulator, tmp_path: Path) -> NbConnection:
    """The simulator's nation, with a token cache of the test's own."""
    return NbConnection(sim.nationbuilder_url, sim.config.nb_token, token_cache=tmp_path / "t.json")


def an_connection(sim: RunningSimulator, rate: float = 500.0) -> AnConnection:
    """The simulator's group; faster than Action Network's 4/s unless a test asks for that."""
    return AnConnection(sim.config.an_keys[0], sim.action_network_url, rate)


def make_warehouse(path: Path, *statements: str) -> Path:
    """A DuckDB file holding whatever tables the test's segment reads."""
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def rows_table(
    path: Path, table: str, columns: Mapping[str, str], rows: Iterable[Sequence[Any]]
) -> Path:
    """(Re)creates `table` (`schema.table` makes the schema too) with typed columns and rows."""
    with duckdb.connect(str(path)) as con:
        if "." in table:
            con.execute(f"create schema if not exists {table.split('.')[0]}")
        typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"create or replace table {table} ({typed})")
        values = [tuple(row) for row in rows]
        if values:
            marks = ", ".join("?" * len(columns))
            con.executemany(f"insert into {table} values ({marks})", values)
    return path


def contactability_table(path: Path, verdicts: Mapping[str, tuple[bool, bool]]) -> Path:
    """`analytics.contactability` with (can_email, can_text) for these person_ids."""
    columns = {"person_id": "varchar", "can_email": "boolean", "can_text": "boolean"}
    rows = [(pid, email, text) for pid, (email, text) in verdicts.items()]
    return rows_table(path, "analytics.contactability", columns, rows)


def an_people(sim: RunningSimulator) -> list[dict[str, Any]]:
    """The group's people as the truth lists them (id, names, addresses, numbers, statuses)."""
    records: list[dict[str, Any]] = truth(sim)["action_network"]["people"]["records"]
    return records


def segment_table(path: Path, ids: Iterable[int], table: str = "segment") -> Path:
    """(Re)creates `table(signup_id)` with these ids."""
    values = ", ".join(f"({i})" for i in ids) or "(null)"
    return make_warehouse(
        path,
        f"create or replace table {table} as select * from (values {values}) as v(signup_id)"
        " where signup_id is not null",
    )


def activists_table(path: Path, count: int, prefix: str) -> Path:
    """Action Network-style people (given/family names, primary_email) NationBuilder lacks."""
    return make_warehouse(
        path,
        "create table activists as select 'Zoë' as given_name, 'Ng-' || range as family_name,"
        f" '{prefix}' || range || '@an.example' as primary_email,"
        " '50355501' || lpad(range::varchar, 2, '0') as phone_number"
        f" from range({count})",
    )


def nb_truth(sim: RunningSimulator) -> dict[str, Any]:
    result: dict[str, Any] = truth(sim)["nationbuilder"]
    return result


def members(sim: RunningSimulator, list_id: int | None) -> set[int]:
    """Who is on the list, by the simulator's ground truth."""
    pairs = nb_truth(sim)["list_signups"]["pairs"]
    return {signup_id for lid, signup_id in pairs if lid == list_id}


def writes(sim: RunningSimulator, api: str = "nationbuilder") -> dict[str, int]:
    """Requests to one API that change something, by route, since the last reset."""
    by_route: dict[str, int] = stats(sim)["by_route"]
    return {
        route: count
        for route, count in by_route.items()
        if route.startswith(f"{api} ") and route.split()[1] in WRITE_METHODS
    }


def nb_list(sim: RunningSimulator, slug: str) -> dict[str, Any] | None:
    """A list as v1 prints it (the nation has only a few, so one page holds them)."""
    page = nb_get(sim, "/api/v1/lists?limit=100", token=sim.config.nb_token).json()
    return next((row for row in page["results"] if row["slug"] == slug), None)
