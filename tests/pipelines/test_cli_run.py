"""`civic-etl run` end to end, as cron runs it: warehouse, summary, exit codes, lock, secrets.

One run is a process of its own, exactly as a scheduler starts it; the rest run `main()` in
this process (tests/support/cli.py), which takes seconds less each.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from simulator.server import RunningSimulator
from tests.support.cli import assert_one_clear_line, civic_etl, cli_env, run_cli
from tests.support.simulator import configured, simulator, truth

SIZES = {"nb_signups": 600, "nb_donations": 250, "an_people": 300, "an_actions": 700}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with simulator(**SIZES) as running:
        yield running


@dataclass
class Nightly:
    """One `civic-etl run` as a process of its own, into a fresh warehouse."""

    result: subprocess.CompletedProcess[str]
    warehouse: Path


@pytest.fixture(scope="module")
def nightly(sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory) -> Nightly:
    warehouse = tmp_path_factory.mktemp("nightly") / "w.duckdb"
    return Nightly(civic_etl("run", "--warehouse", str(warehouse), env=cli_env(sim)), warehouse)


def test_run_lands_both_sources_builds_marts_and_records_the_summary(
    sim: RunningSimulator, nightly: Nightly
) -> None:
    result, warehouse = nightly.result, nightly.warehouse
    assert result.returncode == 0, result.stderr
    expected = truth(sim)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        signups = con.execute("select count(*) from nationbuilder.signups").fetchone()
        people = con.execute("select count(*) from action_network.people").fetchone()
        marts = con.execute("select count(*) from analytics.people").fetchone()
        run = con.execute("select status, error from civic_etl.runs").fetchall()
        lines = con.execute(
            "select source, resource, records, requests from civic_etl.run_resources"
        ).fetchall()
    assert signups == (expected["nationbuilder"]["signups"]["count"],)
    assert people == (expected["action_network"]["people"]["count"],)
    assert marts == (expected["analytics"]["people_total"],)
    assert run == [("succeeded", None)]
    by_resource = {
        (source, resource): (records, requests) for source, resource, records, requests in lines
    }
    assert (
        by_resource[("nationbuilder", "signups")][0]
        == expected["nationbuilder"]["signups"]["count"]
    )
    assert by_resource[("action_network", "people")][1] > 0
    assert "run " in result.stdout and "succeeded" in result.stdout


def test_no_token_appears_in_output_or_warehouse(sim: RunningSimulator, nightly: Nightly) -> None:
    result, warehouse = nightly.result, nightly.warehouse
    assert result.returncode == 0, result.stderr
    secrets = [sim.config.nb_token, sim.config.an_keys[0]]
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
        assert secret.encode() not in warehouse.read_bytes()
        for path in (warehouse.parent / ".civic-etl").rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_json_logs_are_one_object_a_line_even_under_faults(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    """Retry warnings, notes, the summary: a scheduler can parse every line it gets, and the
    summary is one line per resource, then the run's verdict last."""
    warehouse = tmp_path / "w.duckdb"
    with configured(sim, faults={"http_503": 0.1}):
        result = run_cli(
            "run", "--warehouse", str(warehouse), "--log-format", "json", env=cli_env(sim)
        )
    assert result.returncode == 0, result.stderr
    lines = [*result.stdout.splitlines(), *result.stderr.splitlines()]
    parsed = [json.loads(line) for line in lines]  # every line is JSON
    assert all(isinstance(line, dict) and {"level", "event"} <= set(line) for line in parsed)
    retries = [line for line in parsed if line["event"] == "retry"]
    assert retries and all(line["source"] and line["resource"] for line in retries)
    events = result.json_lines()
    assert events[-1]["event"] == "summary" and events[-1]["status"] == "succeeded"
    per_resource = [line for line in events if line["event"] == "resource_summary"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (logged,) = con.execute("select count(*) from civic_etl.run_resources").fetchone()
    assert len(per_resource) == logged > 10
    assert max(len(line) for line in result.stdout.splitlines()) < 2000


def test_missing_token_is_one_line_and_nonzero(sim: RunningSimulator, tmp_path: Path) -> None:
    env = cli_env(sim)
    del env["SOURCES__NATIONBUILDER__ACCESS_TOKEN"]
    result = run_cli(
        "run", "--source", "nationbuilder", "--warehouse", str(tmp_path / "w.duckdb"), env=env
    )
    assert result.returncode == 2
    expected = "nationbuilder is not configured: set SOURCES__NATIONBUILDER__ACCESS_TOKEN"
    assert result.stderr.strip().splitlines() == [f"civic-etl: error: {expected}"]


def test_wrong_token_fails_the_run_with_one_line(sim: RunningSimulator, tmp_path: Path) -> None:
    env = cli_env(sim, SOURCES__NATIONBUILDER__ACCESS_TOKEN="not-the-token")
    result = run_cli(
        "run", "--source", "nationbuilder", "--warehouse", str(tmp_path / "w.duckdb"), env=env
    )
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "401" in errors[0] and "Traceback" not in result.stderr
    assert "not-the-token" not in result.stdout + result.stderr


def test_an_unknown_table_in_resources_is_a_usage_error_naming_the_valid_ones(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = run_cli(
        "run", "--warehouse", str(warehouse), "--resources", "signupz", env=cli_env(sim)
    )
    line = assert_one_clear_line(result, 2, "'signupz'", "signups", "people")
    assert "nationbuilder:" in line and "action_network:" in line
    assert not warehouse.exists(), "a usage error touched the warehouse"


def test_resources_of_one_source_extract_only_its_accounts(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = run_cli(
        "extract", "--warehouse", str(warehouse), "--resources", "signups", env=cli_env(sim)
    )
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        accounts = con.execute("select accounts from civic_etl.runs").fetchall()
        signups = con.execute("select count(*) from nationbuilder.signups").fetchone()
    assert accounts == [("nationbuilder",)]
    assert signups == (truth(sim)["nationbuilder"]["signups"]["count"],)


def test_action_network_with_a_base_url_and_no_key_fails_the_run(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    env = cli_env(sim)
    del env["SOURCES__ACTION_NETWORK__API_KEY"]
    result = run_cli("run", "--warehouse", str(tmp_path / "w.duckdb"), env=env)
    assert_one_clear_line(result, 2, "action_network", "SOURCES__ACTION_NETWORK__API_KEY")
