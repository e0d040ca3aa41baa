"""The write-back commands from `add_writeback_commands`: options, output, exit codes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from sources.action_network.settings import DEFAULT_BASE_URL, RATE_PER_SECOND
from tests.support.simulator import an_tag_members
from tests.support.warehouse import query
from tests.writeback.helpers import (
    SIZES,
    activists_table,
    an_people,
    members,
    rows_table,
    segment_table,
)
from writeback import AnConnection, add_writeback_commands

SETTINGS = ("BASE_URL", "ACCESS_TOKEN", "TOKEN_CACHE")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="civic-etl")
    add_writeback_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SimConfig(rate_limits=False, **SIZES)) as running:
        yield running


@pytest.fixture
def configured(
    sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RunningSimulator:
    """The nation configured as a user would: SOURCES__NATIONBUILDER__* variables."""
    values = (sim.nationbuilder_url, sim.config.nb_token, str(tmp_path / "tokens.json"))
    for name, value in zip(SETTINGS, values, strict=True):
        monkeypatch.setenv(f"SOURCES__NATIONBUILDER__{name}", value)
    return sim


def test_push_list_options_and_defaults() -> None:
    args = parse("push-list", "--list", "vols", "--query", "petitioners_never_donated")
    assert callable(args.func)
    assert vars(args) | {"func": None} == {
        "command": "push-list",
        "list_slug": "vols",
        "query": "petitioners_never_donated",
        "tag": None,
        "list_name": None,
        "author_id": None,
        "batch_size": 100_000,
        "dry_run": False,
        "warehouse": None,
        "log_format": "text",
        "func": None,
    }


def test_import_people_options_and_defaults() -> None:
    args = parse("import-people", "--query", "an_activists_not_in_nb", "--overwrite")
    assert callable(args.func)
    assert vars(args) | {"func": None} == {
        "command": "import-people",
        "query": "an_activists_not_in_nb",
        "overwrite": True,
        "chunk_mb": 50.0,
        "poll_interval": 5.0,
        "timeout": 3600.0,
        "dry_run": False,
        "warehouse": None,
        "log_format": "text",
        "func": None,
    }


def test_push_list_command_reads_the_configuration_and_prints_the_summary(
    configured: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = segment_table(tmp_path / "w.duckdb", range(1, 6))
    args = parse(
        "push-list",
        "--list",
        "cli",
        "--query",
        "select signup_id from segment",
        "--tag",
        "cli",
        "--warehouse",
        str(warehouse),
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pushed the query (5 people) to list 'cli'")
    list_id = int(out.split("(id ")[1].split(")")[0])
    assert members(configured, list_id) == set(range(1, 6))


def test_import_people_dry_run_in_json_for_schedulers(
    configured: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = activists_table(tmp_path / "w.duckdb", 3, "json")
    args = parse(
        "import-people",
        "--query",
        "select * from activists",
        "--dry-run",
        "--chunk-mb",
        "0.0001",
        "--log-format",
        "json",
        "--warehouse",
        str(warehouse),
    )
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["event"], summary["command"], summary["rows"]) == (
        "summary",
        "import-people",
        3,
    )
    assert len(summary["chunks"]) == 3 and summary["dry_run"] is True


def test_unconfigured_nation_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in SETTINGS:
        monkeypatch.setenv(f"SOURCES__NATIONBUILDER__{name}", "")
    warehouse = segment_table(tmp_path / "w.duckdb", [1])
    args = parse("push-list", "--list", "x", "--query", "select 1", "--warehouse", str(warehouse))
    assert args.func(args) == 2
    assert "SOURCES__NATIONBUILDER__BASE_URL" in capsys.readouterr().err


def test_missing_warehouse_exits_2(
    configured: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(
        "push-list",
        "--list",
        "x",
        "--query",
        "select 1",
        "--warehouse",
        str(tmp_path / "none.duckdb"),
    )
    assert args.func(args) == 2
    assert "no warehouse at" in capsys.readouterr().err


def test_rejected_token_exits_1_with_the_api_error(
    configured: RunningSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOURCES__NATIONBUILDER__ACCESS_TOKEN", "not-the-token")
    warehouse = segment_table(tmp_path / "w.duckdb", [1])
    args = parse(
        "push-list",
        "--list",
        "x",
        "--query",
        "select signup_id from segment",
        "--warehouse",
        str(warehouse),
    )
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert "401" in err and "not-the-token" not in err


@pytest.fixture
def an_configured(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> RunningSimulator:
    """The group configured as a user would: SOURCES__ACTION_NETWORK__* variables."""
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__API_KEY", sim.config.an_keys[0])
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__BASE_URL", sim.action_network_url)
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__RATE_PER_SECOND", "500")
    return sim


def test_an_tag_options_and_defaults() -> None:
    args = parse("an-tag", "--tag", "nb-event-rsvp", "--query", "nb_event_rsvps")
    assert callable(args.func)
    assert vars(args) | {"func": None} == {
        "command": "an-tag",
        "tag": "nb-event-rsvp",
        "query": "nb_event_rsvps",
        "remove_others": False,
        "dry_run": False,
        "warehouse": None,
        "log_format": "text",
        "func": None,
    }


def test_an_upsert_people_options_and_defaults() -> None:
    args = parse("an-upsert-people", "--query", "nb_volunteers_not_in_an", "--dry-run")
    assert callable(args.func)
    assert vars(args) | {"func": None} == {
        "command": "an-upsert-people",
        "query": "nb_volunteers_not_in_an",
        "dry_run": True,
        "warehouse": None,
        "log_format": "text",
        "func": None,
    }


def test_an_connection_has_the_extracts_key_url_and_rate(
    an_configured: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = AnConnection.from_config()
    assert (connection.base_url, connection.rate_per_second) == (
        an_configured.action_network_url,
        500.0,
    )
    monkeypatch.delenv("SOURCES__ACTION_NETWORK__RATE_PER_SECOND")
    monkeypatch.delenv("SOURCES__ACTION_NETWORK__BASE_URL")
    default = AnConnection.from_config()
    assert (default.base_url, default.rate_per_second) == (DEFAULT_BASE_URL, RATE_PER_SECOND)
    assert default.client().limiter.rate == 4.0, "the extract's 4 requests/s"
    assert an_configured.config.an_keys[0] not in repr(default)


def test_an_tag_command_prints_a_json_summary(
    an_configured: RunningSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    person = an_people(an_configured)[0]["id"]
    columns = {"action_network_person_id": "varchar"}
    warehouse = rows_table(tmp_path / "w.duckdb", "segment", columns, [(person,), (None,)])
    argv = ("an-tag", "--tag", "cli-json", "--query", "select * from segment")
    args = parse(*argv, "--log-format", "json", "--warehouse", str(warehouse))
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["command"], summary["added"], summary["write_requests"]) == ("an-tag", 1, 2)
    assert [entry["row"] for entry in summary["skipped"]] == [2]
    assert an_tag_members(an_configured, "cli-json") == {person}


def test_unconfigured_group_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__API_KEY", "")
    warehouse = rows_table(tmp_path / "w.duckdb", "t", {"email": "varchar"}, [("a@b.example",)])
    args = parse("an-upsert-people", "--query", "select * from t", "--warehouse", str(warehouse))
    assert args.func(args) == 2
    assert "SOURCES__ACTION_NETWORK__API_KEY" in capsys.readouterr().err


def test_rejected_api_key_exits_1_with_the_api_error(
    an_configured: RunningSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__API_KEY", "not-the-key")
    warehouse = rows_table(tmp_path / "w.duckdb", "t", {"email": "varchar"}, [("a@b.example",)])
    args = parse(
        "an-tag", "--tag", "x", "--query", "select * from t", "--warehouse", str(warehouse)
    )
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert "401" in err and "SOURCES__ACTION_NETWORK__API_KEY" in err and "not-the-key" not in err
    logged = query(warehouse, "select status, error like '%401%' from civic_etl.an_tag_pushes")
    assert logged == [("failed", True)]
