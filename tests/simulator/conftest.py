"""One simulator per test module (default population, rate limits off) and its ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.simulator.helpers import truth


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A read-mostly simulator: tests may change settings only through `helpers.configured`."""
    with serve_in_thread(SimConfig(rate_limits=False)) as running:
        yield running


@pytest.fixture(scope="module")
def sim_truth(sim: RunningSimulator) -> dict[str, Any]:
    return truth(sim)
