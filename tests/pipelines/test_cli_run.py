"""`civic-etl run` end to end, as cron runs it: warehouse, summary, exit codes, lock, secrets."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from cli_helpers import civic_etl, cli_env, start_civic_etl

from simulator.server import serve_in_thread
from simulator.settings import SimConfig

SIZES = {"nb_signups": 600, "nb_donations": 250, "an_people": 300, "an_actions": 700}


def truth(sim_url: str) -> dict:
    with urllib.request.urlopen(sim_url + "/_sim/truth") as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def sim():
    with serve_in_thread(SimConfig(**SIZES, rate_limits=False)) as running:
        yield running


def test_run_lands_both_sources_builds_marts_and_records_the_summary(sim, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = civic_etl("run", "--warehouse", str(warehouse), env=cli_env(sim))
    assert result.returncode == 0, result.stderr
    expected = truth(sim.url)
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


def test_no_token_appears_in_output_or_warehouse(sim, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = civic_etl(
        "run", "--warehouse", str(warehouse), "--log-format", "json", env=cli_env(sim)
    )
    assert result.returncode == 0, result.stderr
    secrets = [sim.config.nb_token, sim.config.an_keys[0]]
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
        assert secret.encode() not in warehouse.read_bytes()
        for path in (tmp_path / ".civic-etl").rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "summary" and events[-1]["status"] == "succeeded"


def test_second_run_on_a_busy_warehouse_exits_at_once(tmp_path: Path) -> None:
    with serve_in_thread(SimConfig(**SIZES, rate_limits=False, latency_ms=300)) as slow:
        warehouse = tmp_path / "w.duckdb"
        env = cli_env(slow)
        first = start_civic_etl("run", "--warehouse", str(warehouse), env=env)
        lock = tmp_path / ".civic-etl" / "w" / "run.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().startswith("pid")):
            assert time.monotonic() < deadline and first.poll() is None, (
                "the first run never started"
            )
            time.sleep(0.1)
        second = civic_etl("run", "--warehouse", str(warehouse), env=env)
        assert first.poll() is None, "the second run waited for the first to end"
        assert second.returncode == 3
        assert "another run" in second.stderr and len(second.stderr.strip().splitlines()) == 1
        first.send_signal(signal.SIGKILL)  # a killed run must not leave a lock behind
        first.wait(timeout=30)
        third = civic_etl("run", "--warehouse", str(warehouse), env=env)
        assert third.returncode == 0, third.stderr


def test_missing_token_is_one_line_and_nonzero(sim, tmp_path: Path) -> None:
    env = cli_env(sim)
    del env["SOURCES__NATIONBUILDER__ACCESS_TOKEN"]
    result = civic_etl(
        "run", "--source", "nationbuilder", "--warehouse", str(tmp_path / "w.duckdb"), env=env
    )
    assert result.returncode == 2
    expected = "nationbuilder is not configured: set SOURCES__NATIONBUILDER__ACCESS_TOKEN"
    assert result.stderr.strip().splitlines() == [f"civic-etl: error: {expected}"]


def test_wrong_token_fails_the_run_with_one_line(sim, tmp_path: Path) -> None:
    env = cli_env(sim, SOURCES__NATIONBUILDER__ACCESS_TOKEN="not-the-token")
    result = civic_etl(
        "run", "--source", "nationbuilder", "--warehouse", str(tmp_path / "w.duckdb"), env=env
    )
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "401" in errors[0] and "Traceback" not in result.stderr
    assert "not-the-token" not in result.stdout + result.stderr
