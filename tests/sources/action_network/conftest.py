"""A full load per timestamp dialect, shared by the tests that only read what it landed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from sources.http import ClientRegistry
from tests.simulator.helpers import truth
from tests.sources.action_network.helpers import (
    SMALL,
    FullLoad,
    make_pipeline,
    reset_stats,
    run_source,
    sim_requests,
)


@pytest.fixture
def small_sim() -> Iterator[RunningSimulator]:
    """A simulator of its own, for a test that mutates it or changes its settings."""
    with serve_in_thread(SimConfig(rate_limits=False, **SMALL)) as running:
        yield running


@pytest.fixture(scope="module", params=["live", "doc"])
def full_load(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FullLoad]:
    """One first run against a fresh simulator speaking `live` or `doc` timestamps."""
    config = SimConfig(rate_limits=False, an_timestamps=request.param, **SMALL)
    with serve_in_thread(config) as sim:
        pipeline = make_pipeline(tmp_path_factory.mktemp(f"an_{request.param}"))
        registry = ClientRegistry()
        reset_stats(sim)
        run_source(pipeline, sim, registry=registry)
        yield FullLoad(sim, pipeline, truth(sim), sim_requests(sim), registry)
