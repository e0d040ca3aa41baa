"""Shared by the write-back tests: a small nation, a warehouse made by the test, sim read-backs."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from pipelines.writeback import NbConnection
from simulator.server import RunningSimulator

SIZES = {"nb_signups": 120, "nb_donations": 30, "nb_lists": 3, "an_people": 30, "an_actions": 60}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def connection(sim: RunningSimulator, tmp_path: Path) -> NbConnection:
    """The simulator's nation, with a token cache of the test's own."""
    return NbConnection(sim.nationbuilder_url, sim.config.nb_token, token_cache=tmp_path / "t.json")


def make_warehouse(path: Path, *statements: str) -> Path:
    """A DuckDB file holding whatever tables the test's segment reads."""
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


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


def control(sim: RunningSimulator, path: str, post: bool = False) -> Any:
    method = "POST" if post else "GET"
    data = b"{}" if post else None
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(sim.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())


def nb_truth(sim: RunningSimulator) -> dict[str, Any]:
    result: dict[str, Any] = control(sim, "/_sim/truth")["nationbuilder"]
    return result


def members(sim: RunningSimulator, list_id: int | None) -> set[int]:
    """Who is on the list, by the simulator's ground truth."""
    pairs = nb_truth(sim)["list_signups"]["pairs"]
    return {signup_id for lid, signup_id in pairs if lid == list_id}


def reset_stats(sim: RunningSimulator) -> None:
    control(sim, "/_sim/stats/reset", post=True)


def nb_requests(sim: RunningSimulator) -> int:
    """Every NationBuilder request since the last reset."""
    return int(control(sim, "/_sim/stats")["requests"].get("nationbuilder", 0))


def writes(sim: RunningSimulator) -> dict[str, int]:
    """NationBuilder requests that change something, by route, since the last reset."""
    by_route: dict[str, int] = control(sim, "/_sim/stats")["by_route"]
    return {
        route: count
        for route, count in by_route.items()
        if route.startswith("nationbuilder ") and route.split()[1] in WRITE_METHODS
    }


def query_rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def nb_get(sim: RunningSimulator, path: str) -> Any:
    """An authorized GET on the simulated nation (reads are not what the tests count)."""
    headers = {"Authorization": f"Bearer {sim.config.nb_token}"}
    req = urllib.request.Request(sim.nationbuilder_url + path, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())


def nb_list(sim: RunningSimulator, slug: str) -> dict[str, Any] | None:
    """A list as v1 prints it (the nation has only a few, so one page holds them)."""
    page = nb_get(sim, "/api/v1/lists?limit=100")
    return next((row for row in page["results"] if row["slug"] == slug), None)
