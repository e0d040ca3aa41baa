"""One simulator and one clean first night, shared by the reliability tests that start from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import (
    MARTS,
    analytics_snapshot,
    civic_etl,
    cli_env,
    configure,
    control,
    copy_warehouse,
    simulator,
)

from simulator.server import RunningSimulator


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
        control(self.sim, "/_sim/reset", {})
        warehouse = folder / "w.duckdb"
        copy_warehouse(self.warehouse, warehouse)
        control(self.sim, "/_sim/mutate", {"fraction": fraction})
        return warehouse

    def first_of_its_kind(self, folder: Path) -> Path:
        """An empty warehouse, with the simulator back at the first night: a first run."""
        configure(self.sim, bad_input=[], faults={})
        control(self.sim, "/_sim/reset", {})
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "w.duckdb"


@pytest.fixture(scope="session")
def first_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstNight]:
    root = tmp_path_factory.mktemp("first_night")
    with simulator() as sim:
        warehouse = root / "w.duckdb"
        env = cli_env(sim, root)
        result = civic_etl("run", "--warehouse", str(warehouse), env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        analytics = analytics_snapshot(warehouse)
        assert set(MARTS) <= set(analytics[0])
        yield FirstNight(sim, warehouse, env, analytics)
