"""Credentials never reach output, error lines, the warehouse, or dlt's state, traces and
packages: on success and on failure, with text and JSON logs. They travel in headers only."""

from __future__ import annotations

import gzip
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dlt.common.versioned_state import compress_state

from simulator.server import RunningSimulator
from tests.support.cli import assert_one_clear_line, cli_env, run_cli
from tests.support.nights import AN_KEY, NB_TOKEN, night_simulator
from tests.support.simulator import configure, control
from tests.support.warehouse import secrets_in_warehouse

WRONG = {
    "SOURCES__NATIONBUILDER__ACCESS_TOKEN": "nbtok-WRONG-4hT9sQ2mVx",
    "SOURCES__ACTION_NETWORK__API_KEY": "ankey-WRONG-8pL3wZ6rYc",
}
# How each failure is brought about: simulator settings, environment, what the line says.
FAILURES: dict[str, tuple[dict[str, Any], dict[str, str], tuple[str, ...]]] = {
    "401": ({}, WRONG, ("401",)),
    "500 until the retries run out": (
        {"faults": {"http_500": 1.0}, "fault_retry_after": 0},
        {},
        ("500", "gave up after 8 attempts"),
    ),
    "an error message quoting the credential": (
        {"bad_input": [{"kind": "echo_credentials"}]},
        {},
        ("400", "***"),
    ),
}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with night_simulator(nb_signups=250, nb_donations=90, an_people=80, an_actions=160) as running:
        yield running


def assert_no_secret_anywhere(
    sim: RunningSimulator, result: Any, warehouse: Path, secrets: tuple[str, ...]
) -> None:
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
    assert secrets_in_warehouse(warehouse, secrets) == []
    assert control(sim, "/_sim/stats")["credentials_in_query"] == {}, "a token went in a URL"


# A whole run per format: JSON's is slow (failed runs below check both formats anyway).
@pytest.mark.parametrize("log_format", ("text", pytest.param("json", marks=pytest.mark.slow)))
def test_a_successful_run_keeps_credentials_out_of_everything(
    sim: RunningSimulator, log_format: str, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = run_cli(
        "run", "--warehouse", str(warehouse), "--log-format", log_format, env=cli_env(sim, tmp_path)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_secret_anywhere(sim, result, warehouse, (NB_TOKEN, AN_KEY))
    if log_format == "json":
        assert all(json.loads(line) for line in result.stdout.splitlines())


@pytest.mark.parametrize("log_format", ("text", "json"))
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_run_keeps_credentials_out_of_everything(
    sim: RunningSimulator, failure: str, log_format: str, tmp_path: Path
) -> None:
    settings, env, needles = FAILURES[failure]
    warehouse = tmp_path / "w.duckdb"
    configure(sim, **settings)
    try:
        result = run_cli(
            "run",
            "--warehouse",
            str(warehouse),
            "--log-format",
            log_format,
            env=cli_env(sim, tmp_path, **env),
        )
    finally:
        configure(sim, faults={}, fault_retry_after=None, bad_input=[])
    assert_one_clear_line(result, 1, "nationbuilder: GET", "action_network: GET", *needles)
    secrets = (NB_TOKEN, AN_KEY, *env.values())
    assert_no_secret_anywhere(sim, result, warehouse, secrets)


def test_the_search_finds_a_secret_wherever_it_hides(tmp_path: Path) -> None:
    """The searches above would pass on a blind search: plant one where each could hide."""
    warehouse = tmp_path / "w.duckdb"
    folder = tmp_path / ".civic-etl" / "w" / "pipelines"
    folder.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table notes as select 'x' || range || ? as note from range(50000)", [NB_TOKEN]
        )
        con.execute("create schema nationbuilder")
        con.execute("create table nationbuilder._dlt_pipeline_state (state varchar)")
        con.execute(
            "insert into nationbuilder._dlt_pipeline_state values (?)",
            [compress_state({"k": AN_KEY})],
        )
    (folder / "job.jsonl.gz").write_bytes(gzip.compress(f'{{"a": "{AN_KEY}"}}'.encode()))
    pq.write_table(pa.table({"a": [NB_TOKEN] * 1000}), folder / "job.parquet", compression="zstd")
    found = secrets_in_warehouse(warehouse, (NB_TOKEN, AN_KEY))
    assert any("main.notes.note" in place for place in found)
    assert any("nationbuilder state" in place for place in found)
    assert any("job.jsonl.gz" in place for place in found)
    assert any("job.parquet" in place for place in found)


def test_the_simulator_counts_a_credential_sent_in_a_url() -> None:
    """What the `credentials_in_query == {}` checks above rely on."""
    with night_simulator(nb_signups=20, nb_donations=5, an_people=10, an_actions=10) as tiny:
        url = f"{tiny.nationbuilder_url}/api/v2/signups?access_token={NB_TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as reply:
            assert reply.status == 200
        assert control(tiny, "/_sim/stats")["credentials_in_query"] == {"nationbuilder": 1}
