"""Bad configuration: a missing or wrong credential, a wrong or unreachable base URL, a warehouse
path that cannot be written. Each is one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.server import RunningSimulator
from tests.support.cli import assert_one_clear_line, civic_etl, cli_env, run_cli
from tests.support.nights import night_simulator

NB_ENV, AN_ENV = "SOURCES__NATIONBUILDER__", "SOURCES__ACTION_NETWORK__"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with night_simulator(nb_signups=120, nb_donations=40, an_people=60, an_actions=90) as running:
        yield running


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(sim: RunningSimulator, tmp_path: Path, *args: str, **env: str) -> Any:
    if "--warehouse" not in args:
        args = (*args, "--warehouse", str(tmp_path / "w.duckdb"))
    return run_cli("run", *args, env=cli_env(sim, tmp_path, **env))


# (arguments, environment, exit code, what the line must say)
CREDENTIALS = {
    "missing AN key": (
        ("--source", "action_network"),
        {f"{AN_ENV}API_KEY": ""},
        2,
        ("action_network is not configured", f"{AN_ENV}API_KEY"),
    ),
    "wrong NB token": (
        ("--source", "nationbuilder"),
        {f"{NB_ENV}ACCESS_TOKEN": "nb-wrong-token-0000"},
        1,
        ("nationbuilder: GET", "401 unauthorized", "get a new token", "for automatic refresh)"),
    ),
    "wrong AN key": (
        ("--source", "action_network"),
        {f"{AN_ENV}API_KEY": "an-wrong-key-0000"},
        1,
        ("action_network: GET", "401", f"check {AN_ENV}API_KEY"),
    ),
    "both wrong": (
        (),
        {f"{NB_ENV}ACCESS_TOKEN": "nb-wrong-0000", f"{AN_ENV}API_KEY": "an-wrong-0000"},
        1,
        # both complete, neither hint cut off
        (
            "nationbuilder: GET",
            "action_network: GET",
            "401",
            "for automatic refresh)",
            f"check {AN_ENV}API_KEY (API & Sync page)",
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CREDENTIALS))
def test_a_missing_or_wrong_credential_is_one_line(
    sim: RunningSimulator, case: str, tmp_path: Path
) -> None:
    args, env, code, needles = CREDENTIALS[case]
    assert_one_clear_line(run(sim, tmp_path, *args, **env), code, *needles)


@pytest.mark.parametrize("api", ("nationbuilder", "action_network"))
def test_a_base_url_on_the_wrong_path_is_one_line(
    sim: RunningSimulator, api: str, tmp_path: Path
) -> None:
    prefix = NB_ENV if api == "nationbuilder" else AN_ENV
    result = run(sim, tmp_path, "--source", api, **{f"{prefix}BASE_URL": sim.url + "/nope"})
    assert_one_clear_line(
        result, 1, f"{api}: GET /nope/", "404", f"check base_url ({prefix}BASE_URL"
    )


def test_the_api_path_doubled_or_missing_says_how_the_base_url_is_spelled(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    """The two usual slips: NB's URL with /api/v2 (added by the source), AN's without it."""
    nb = run(
        sim,
        tmp_path,
        "--source",
        "nationbuilder",
        **{f"{NB_ENV}BASE_URL": sim.nationbuilder_url + "/api/v2"},
    )
    assert_one_clear_line(nb, 1, "404", "without /api/v2")
    an_url = sim.action_network_url.removesuffix("/api/v2")
    an = run(sim, tmp_path, "--source", "action_network", **{f"{AN_ENV}BASE_URL": an_url})
    assert_one_clear_line(an, 1, "404", "ending in /api/v2")


def test_a_malformed_settings_file_names_the_file_and_exits_2(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    secrets = tmp_path / ".dlt" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[sources.nationbuilder\naccess_token = "x"\n')
    # A process of its own, started in the folder: dlt reads .dlt/ there, once per process.
    warehouse = str(tmp_path / "w.duckdb")
    result = civic_etl("run", "--warehouse", warehouse, env=cli_env(sim, tmp_path), cwd=tmp_path)
    assert_one_clear_line(result, 2, f"{secrets} is not valid TOML", "line 1", "fix or remove it")


@pytest.mark.parametrize("url", ("ftp://example.com/api",))
def test_a_base_url_that_is_not_a_web_address_is_one_line(
    sim: RunningSimulator, url: str, tmp_path: Path
) -> None:
    result = run(sim, tmp_path, "--source", "nationbuilder", **{f"{NB_ENV}BASE_URL": url})
    # A configuration error: exit 2, as the README promises, before any request.
    assert_one_clear_line(result, 2, "BASE_URL must be an http(s) address", url)


def test_a_warehouse_under_a_regular_file_is_one_line(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    warehouse = tmp_path / "notes.txt" / "w.duckdb"
    result = run(sim, tmp_path, "--warehouse", str(warehouse))
    assert_one_clear_line(result, 2, str(warehouse), "it is a file")


def test_a_warehouse_that_is_a_folder_is_one_line(sim: RunningSimulator, tmp_path: Path) -> None:
    result = run(sim, tmp_path, "--warehouse", str(tmp_path))
    assert_one_clear_line(result, 2, "is a folder")


def test_a_warehouse_that_is_not_a_duckdb_file_is_one_line_and_left_alone(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    other = tmp_path / "w.duckdb"
    other.write_text("a spreadsheet saved under the wrong name")
    result = run(sim, tmp_path, "--warehouse", str(other))
    assert_one_clear_line(result, 2, "is not a DuckDB database")
    assert other.read_text() == "a spreadsheet saved under the wrong name"


def test_a_warehouse_in_a_folder_that_cannot_be_written_is_one_line(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        # Root writes through permission bits; a read-only mount still stops it.
        folder = Path("/sys")
        try:
            (folder / "civic-etl-probe").touch()
        except OSError:
            pass
        else:
            (folder / "civic-etl-probe").unlink()
            pytest.skip("running as root with no read-only folder to try")
    else:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
    result = run(sim, tmp_path, "--warehouse", str(folder / "w.duckdb"))
    assert_one_clear_line(result, 2, str(folder / "w.duckdb"), "not writable")


@pytest.mark.slow
@pytest.mark.parametrize("api", ("nationbuilder", "action_network"))
def test_an_unreachable_host_is_one_line_after_the_retries(
    sim: RunningSimulator, api: str, tmp_path: Path
) -> None:
    prefix = NB_ENV if api == "nationbuilder" else AN_ENV
    url = f"http://127.0.0.1:{closed_port()}/api"
    result = run(sim, tmp_path, "--source", api, **{f"{prefix}BASE_URL": url})
    assert_one_clear_line(result, 1, f"{api}: GET", "connect", "gave up after 8 attempts")
