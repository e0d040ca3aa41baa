"""Run the Action Network source into a temp DuckDB and compare what landed with the simulator."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
from aiohttp import web
from dlt.common.pipeline import LoadInfo

from pipelines.extract import resuming
from simulator.server import RunningSimulator
from sources.action_network import action_network_source
from sources.action_network.client import action_network_settings
from sources.action_network.settings import NESTED, PER_PAGE, STANDALONE
from sources.http import ApiSettings, CredentialRegistry
from tests.support.servers import serve_in_thread
from tests.support.simulator import AN_KEY, an_get
from warehouse.filehold import hold_file

DATASET = "action_network"
PARENT_KEYS = {spec.child.name: (spec.parent.name, spec.parent_key) for spec in NESTED}
TOP_LEVEL = ("people", *(spec.parent.name for spec in NESTED), *(c.name for c in STANDALONE))
# Fast enough for tests, with the simulator's rate limits off.
FAST_RATE = 1000.0
# About 1k people and 3k action records: every collection, several pages per parent.
SMALL: dict[str, Any] = {
    "an_people": 1_000,
    "an_actions": 3_000,
    "nb_signups": 60,
    "nb_donations": 20,
    "nb_lists": 3,
}


@dataclass
class FullLoad:
    """A first run's pipeline, the simulator it read, its truth and the requests it took."""

    sim: RunningSimulator
    pipeline: dlt.Pipeline
    truth: dict[str, Any]
    requests: int
    registry: CredentialRegistry


def make_pipeline(tmp_path: Path, name: str = "an_test") -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name=DATASET,
        pipelines_dir=str(tmp_path / "dlt"),
    )


def run_source(
    pipeline: dlt.Pipeline,
    sim: RunningSimulator | ScriptedApi,
    *,
    api_key: str = AN_KEY,
    rate_per_second: float = FAST_RATE,
    registry: CredentialRegistry | None = None,
) -> LoadInfo:
    """Loads the source as `pipelines.extract.run_one` does: chunk after chunk of a long first
    load of people, each its own load, until none remains; the last load's info."""
    base_url = sim.url if isinstance(sim, ScriptedApi) else sim.action_network_url

    def source() -> Any:
        return action_network_source(
            base_url=base_url,
            api_key=api_key,
            rate_per_second=rate_per_second,
            registry=registry,
        )

    with held_open(pipeline):
        info = pipeline.run(source())
        while more := resuming(pipeline):
            info = pipeline.run(source().with_resources(*more))
    return info


def held_open(pipeline: dlt.Pipeline) -> AbstractContextManager[None]:
    """The pipeline's DuckDB file held open, as a run holds it (warehouse/filehold.py): dlt's load
    jobs and the queries inside join the open database instead of opening the file each."""
    return hold_file(Path(pipeline.sql_client().credentials.database), 0)


def query(pipeline: dlt.Pipeline, sql: str) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        return [tuple(row) for row in client.execute_sql(sql) or []]


def loaded_ids(pipeline: dlt.Pipeline, table: str) -> list[str]:
    return sorted(row[0] for row in query(pipeline, f"select id from {table}"))


def mismatches(pipeline: dlt.Pipeline, truth: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Tables whose ids differ from the truth: name -> (loaded count, true count)."""
    wrong = {}
    with held_open(pipeline):
        for table, expected in truth["action_network"].items():
            ids = loaded_ids(pipeline, table)
            if ids != expected["ids"]:
                wrong[table] = (len(ids), expected["count"])
    return wrong


def pages(records: int) -> int:
    return max(1, math.ceil(records / PER_PAGE))


def minimum_requests(sim: RunningSimulator, truth: dict[str, Any]) -> int:
    """The fewest requests that can read everything: pages of 25 over every listing.

    Every top-level collection is one listing; every parent's action collection is another,
    sized by asking the simulator (one record per page, reading `total_records`).
    """
    an = truth["action_network"]
    needed = sum(pages(an[name]["count"]) for name in TOP_LEVEL)
    for spec in NESTED:
        for parent_id in an[spec.parent.name]["ids"]:
            uuid = parent_id.removeprefix("action_network:")
            path = f"/{spec.parent.name}/{uuid}/{spec.child.name}"
            reply = an_get(sim, path, {"per_page": 1})
            assert reply.status == 200, (path, reply.status)
            needed += pages(reply.json()["total_records"])
    return needed


def orphans(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Per action table: rows whose person or parent is missing or unknown."""
    found = {}
    with held_open(pipeline):
        for child, (parent, key) in PARENT_KEYS.items():
            (count,) = query(
                pipeline,
                f"""
                select count(*) from {child} as c
                where c.person_id is null
                    or c.{key} is null
                    or c.person_id not in (select id from people)
                    or c.{key} not in (select id from {parent})
                """,
            )[0]
            if count:
                found[child] = count
    return found


# What a scripted API answers a GET: the page, or an error status and its body.
Reply = dict[str, Any] | tuple[int, dict[str, Any]]


class ScriptedApi:
    """An Action Network on loopback whose every answer comes from a function: a real server,
    for the cases the simulator does not make (a record without identifiers, a rejected filter).
    """

    def __init__(self, answer: Callable[[str, dict[str, Any]], Reply]) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        query: dict[str, Any] = dict(request.query)
        query["page"] = int(query.get("page", 1))
        self.calls.append(query)
        reply = self.answer(request.match_info["path"], query)
        status, body = reply if isinstance(reply, tuple) else (200, reply)
        return web.json_response(body, status=status)

    @contextmanager
    def running(self) -> Iterator[ScriptedApi]:
        app = web.Application()
        app.router.add_get("/api/v2/{path:.*}", self._handle)
        with serve_in_thread(app) as origin:
            self.url = f"{origin}/api/v2"
            yield self

    def settings(self) -> ApiSettings:
        return action_network_settings(self.url, "an-key", rate=1000.0, max_in_flight=8)
