"""Nights of the nightly job: the population and credentials the end-to-end tests run against.

A first night (one clean run) is made once per session and copied for each test that starts
from it; `second_night()` puts the simulator back at that night plus a day of changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.server import RunningSimulator
from tests.support.cli import cli_env, run_cli
from tests.support.simulator import configure, mutate, reset, simulator
from tests.support.warehouse import MARTS, analytics_snapshot, copy_warehouse

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


@contextmanager
def night_simulator(**settings: Any) -> Iterator[RunningSimulator]:
    """A simulator of the nightly population and credentials (rate limits off unless asked)."""
    with simulator(**{**SIZES, "nb_token": NB_TOKEN, "an_keys": [AN_KEY], **settings}) as sim:
        yield sim


@dataclass
class FirstNight:
    """A warehouse one clean run filled, and the simulator that served it."""

    sim: RunningSimulator
    warehouse: Path
    env: dict[str, str]
    analytics: tuple[tuple[str, ...], dict[str, Any]]

    def second_night(self, folder: Path, fraction: float = 0.05) -> Path:
        """A copy of the first night's warehouse, with the simulator back at that night plus a
        day of changes (updates, additions, deletions): the next run is incremental."""
        configure(self.sim, bad_input=[], faults={})
        reset(self.sim)
        warehouse = folder / "w.duckdb"
        copy_warehouse(self.warehouse, warehouse)
        mutate(self.sim, fraction)
        return warehouse

    def first_of_its_kind(self, folder: Path) -> Path:
        """An empty warehouse, with the simulator back at the first night: a first run."""
        configure(self.sim, bad_input=[], faults={})
        reset(self.sim)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "w.duckdb"


@contextmanager
def run_first_night(root: Path) -> Iterator[FirstNight]:
    """One clean run of the whole job into `root/w.duckdb`."""
    with night_simulator() as sim:
        warehouse = root / "w.duckdb"
        env = cli_env(sim, root)
        result = run_cli("run", "--warehouse", str(warehouse), env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        analytics = analytics_snapshot(warehouse)
        assert set(MARTS) <= set(analytics[0])
        yield FirstNight(sim, warehouse, env, analytics)
