"""A first load of Action Network people killed at 75% resumes after its last committed chunk.

The first load of a large AN account takes hours at 4 requests/s; it commits a chunk of pages
per load (sources/action_network/chunks.py), so a killed run's successor reads again at most the
chunk it was in, and the warehouse still ends equal to the truth.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from simulator.server import RunningSimulator
from tests.support.cli import civic_etl, cli_env, kill_when_served, start_civic_etl
from tests.support.simulator import mutate, reset_stats, simulator, stats, truth
from tests.support.warehouse import compare

PEOPLE = 2_000  # 80 pages of 25
CHUNK_PAGES = 4  # 100 people per committed load


def people_requests(sim: RunningSimulator) -> int:
    """Listings of `/people` since the last reset (not a person's own actions)."""
    paths: dict[str, Any] = stats(sim)["by_path"]
    return int(paths.get("action_network GET /api/v2/people", 0))


def problems(warehouse: Path, sim: RunningSimulator) -> list[str]:
    """How the warehouse (raw tables and marts) differs from the truth."""
    return compare(warehouse, truth(sim)).problems


def test_killed_first_load_resumes_after_its_last_chunk(tmp_path: Path) -> None:
    """Chunks are loaded one after another, so once request 61 of 82 was served every chunk
    up to page 60 is committed: the resumed run reads pages 61-80 and the two that end the
    collection (a quarter of the full run), whatever the machine's speed; small chunks of 4
    keep that near a quarter (a chunk is the most a kill can cost)."""
    with simulator(an_people=PEOPLE, an_actions=60, nb_signups=10, nb_donations=3) as sim:
        env = cli_env(sim, tmp_path, SOURCES__ACTION_NETWORK__CHUNK_PAGES=str(CHUNK_PAGES))
        run = ("run", "--warehouse")  # both sources: the marts are compared too

        reset_stats(sim)
        full_warehouse = tmp_path / "full" / "w.duckdb"
        full_warehouse.parent.mkdir()
        full = civic_etl(*run, str(full_warehouse), env=env)
        assert full.returncode == 0, full.stderr[-3000:]
        full_requests = people_requests(sim)
        assert full_requests >= PEOPLE // 25, full_requests
        assert problems(full_warehouse, sim) == []

        reset_stats(sim)
        warehouse = tmp_path / "resumed" / "w.duckdb"
        warehouse.parent.mkdir()
        killed = start_civic_etl(*run, str(warehouse), env=env)
        at = full_requests * 3 // 4
        assert kill_when_served(killed, sim, at, served=people_requests), "the run ended before 75%"
        assert killed.returncode == -signal.SIGKILL

        reset_stats(sim)
        resumed = civic_etl(*run, str(warehouse), env=env)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        resumed_requests = people_requests(sim)
        print(
            f"people requests: full run {full_requests}, resumed after a kill at {at}: "
            f"{resumed_requests}"
        )
        assert resumed_requests <= full_requests * 0.30, (resumed_requests, full_requests)
        assert problems(warehouse, sim) == []

        mutate(sim)  # a day of changes: the next run is incremental, from the chunks' cursor
        reset_stats(sim)
        nightly = civic_etl(*run, str(warehouse), env=env)
        assert nightly.returncode == 0, nightly.stderr[-3000:]
        assert people_requests(sim) < full_requests // 2, people_requests(sim)
        assert problems(warehouse, sim) == []
