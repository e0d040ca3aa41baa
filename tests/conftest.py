"""Fixtures every test folder shares: simulators, a first night of the job, PostgreSQL.

The helpers behind them live in `tests/support/`; a fixture used by one folder only is still
here, so there is one place to look for what a test's arguments are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from simulator.server import RunningSimulator
from sources.http import CredentialRegistry
from tests.sources.action_network.helpers import SMALL, FullLoad, make_pipeline, run_source
from tests.support.nights import FirstNight, run_first_night
from tests.support.postgres import HOW_TO_ENABLE, private_server
from tests.support.simulator import requests_served, reset_stats, simulator, truth


# ---- simulators ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A read-mostly simulator of the default population for a module: tests may change its
    settings only through `configured()`, which puts them back."""
    with simulator() as running:
        yield running


@pytest.fixture(scope="module")
def sim_truth(sim: RunningSimulator) -> dict[str, Any]:
    return truth(sim)


@pytest.fixture
def small_sim() -> Iterator[RunningSimulator]:
    """A simulator of the test's own (about 1k AN people), for a test that changes it."""
    with simulator(**SMALL) as running:
        yield running


# ---- the Action Network source ---------------------------------------------------------------
@pytest.fixture(scope="module", params=["live", "doc"])
def full_load(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FullLoad]:
    """One first run against a fresh simulator speaking `live` or `doc` timestamps."""
    with simulator(an_timestamps=request.param, **SMALL) as running:
        pipeline = make_pipeline(tmp_path_factory.mktemp(f"an_{request.param}"))
        registry = CredentialRegistry()
        reset_stats(running)
        run_source(pipeline, running, registry=registry)
        yield FullLoad(
            running, pipeline, truth(running), requests_served(running, "action_network"), registry
        )


# ---- the nightly job -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def first_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstNight]:
    """One clean first night, shared by the tests that copy it and run the next night."""
    with run_first_night(tmp_path_factory.mktemp("first_night")) as made:
        yield made


# ---- PostgreSQL ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the session: the one named in the environment, or a private one."""
    with private_server() as dsn:
        if dsn is None:
            pytest.skip(HOW_TO_ENABLE)
        yield dsn


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new database on `server`, dropped afterwards."""
    import psycopg2

    name = f"civic_etl_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create database {name}")
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name} with (force)")
    finally:
        admin.close()


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """A fresh database on the session's server for this test, dropped afterwards."""
    with fresh_database(postgres_server) as dsn:
        yield dsn


@pytest.fixture
def other_postgres_dsn(postgres_server: str) -> Iterator[str]:
    """A second fresh database, for a test comparing two warehouses on the same server."""
    with fresh_database(postgres_server) as dsn:
        yield dsn
