"""SIGKILL a nightly run anywhere: the next run lands the truth, no cursor ever runs ahead of
what landed, and readers never see a half-built `analytics`.

The killed run is a process of its own; the run that must repair what it left runs in this
process (the same `main()`), which saves it the interpreter's start-up.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import duckdb
import pytest

from tests.support.cli import civic_etl, kill_when_served, run_cli, start_civic_etl
from tests.support.nights import FirstNight
from tests.support.simulator import truth
from tests.support.warehouse import analytics_snapshot, assert_matches_truth, cursors_ahead
from tests.transforms.helpers import expected_figures

# One point per stage of a run; see tests/support/killpoint.py for exactly where each one lands.
FAST_POINTS = (
    "response:25",  # mid-extract, both sources paging
    "sql_job:2",  # mid-merge: some merged tables and dlt's state row landed, others not
    "published",  # marts published, run summary not yet saved (the transform just ended)
)
SLOW_POINTS = (
    "model:4",  # mid-transform
    "table_job:tags",
    "response:3",
    "response:60",
    "normalize",
    "load",
    "load_job:1",
    "load_job:7",
    "table_job:events",
    "table_job:taggings",
    "sql_job:1",
    "sql_job:6",
    "loaded",
    "model:1",
    "model:20",
    "checks",
)


# The first seconds of a first run, when dlt is still making each pipeline's folder: see
# tests/support/killpoint.py. A kill here once left a folder the next run could not read.
FIRST_RUN_POINTS = ("extracted",)
FIRST_RUN_SLOW_POINTS = (
    "load_job:1",
    "state:1",
    "pipeline:1",
    "pipeline:2",
    "sync:1",
    "sync:2",
    "schema:1",
    "state:2",
    "state:3",
    "request:1",
    "request:5",
    "response:1",
    "response:10",
    "file:1",
    "normalize",
    "load",
    "sql_job:1",
    "loaded",
)


def killed_first_run_then_next(night: FirstNight, folder: Path, point: str) -> None:
    """Kill a first run (empty warehouse) at `point`; the next run must land the truth alone."""
    warehouse = night.first_of_its_kind(folder)
    killed = civic_etl("run", "--warehouse", str(warehouse), env=night.env, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert analytics_snapshot(warehouse) == ((), {}), "a killed first run published marts"
    assert cursors_ahead(warehouse) == []
    recovered = run_cli("run", "--warehouse", str(warehouse), env=night.env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert_matches_truth(warehouse, night.sim)


def killed_then_next_night(night: FirstNight, warehouse: Path, point: str) -> None:
    """Kill a second night at `point`, check what a reader and the next run would find, then run
    the next night and compare everything with the truth."""
    killed = civic_etl("run", "--warehouse", str(warehouse), env=night.env, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert_after_kill(night, warehouse, published=point == "published")
    recovered = run_cli("run", "--warehouse", str(warehouse), env=night.env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert_matches_truth(warehouse, night.sim)


def assert_after_kill(night: FirstNight, warehouse: Path, *, published: bool) -> None:
    tables, figures = analytics_snapshot(warehouse)
    assert tables == night.analytics[0], "analytics is half-built"
    if published:
        assert figures == expected_figures(truth(night.sim)), "a published build is complete"
    else:
        assert figures == night.analytics[1], "a killed build changed what readers see"
    assert cursors_ahead(warehouse) == []


@pytest.mark.parametrize("point", FIRST_RUN_POINTS)
def test_a_first_run_killed_in_its_first_seconds_is_completed_by_the_next(
    first_night: FirstNight, point: str, tmp_path: Path
) -> None:
    killed_first_run_then_next(first_night, tmp_path, point)


@pytest.mark.slow
@pytest.mark.parametrize("point", FIRST_RUN_SLOW_POINTS)
def test_sweep_of_kill_points_in_a_first_run(
    first_night: FirstNight, point: str, tmp_path: Path
) -> None:
    killed_first_run_then_next(first_night, tmp_path, point)


@pytest.mark.parametrize("point", FAST_POINTS)
def test_a_run_killed_at_each_stage_leaves_nothing_for_the_next_run_to_lose(
    first_night: FirstNight, point: str, tmp_path: Path
) -> None:
    killed_then_next_night(first_night, first_night.second_night(tmp_path), point)


def test_a_resumed_load_does_not_double_a_replaced_table(
    first_night: FirstNight, tmp_path: Path
) -> None:
    """Killed after DuckDB took a file of `tags` (replaced whole every run), before dlt noted it:
    the next run lands that package again, file included. Asked for `people` only, it does not
    reload `tags` over the top, so any second copy would stay (and fail the marts' checks)."""
    warehouse = first_night.second_night(tmp_path)
    killed = civic_etl(
        "run", "--warehouse", str(warehouse), env=first_night.env, kill_at="table_job:tags"
    )
    assert killed.returncode == -signal.SIGKILL
    landed = run_cli(
        "run", "--warehouse", str(warehouse), "--resources", "people", env=first_night.env
    )
    assert landed.returncode == 0, landed.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        copies = con.execute(
            "select count(*) - count(distinct id) from action_network.tags"
        ).fetchone()
    assert copies == (0,)
    recovered = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert_matches_truth(warehouse, first_night.sim)


def test_a_run_killed_from_outside_mid_extract_is_recovered_by_the_next_run(
    first_night: FirstNight, tmp_path: Path
) -> None:
    warehouse = first_night.second_night(tmp_path)
    run = start_civic_etl("run", "--warehouse", str(warehouse), env=first_night.env)
    assert kill_when_served(run, first_night.sim, requests=40), "the run ended before the kill"
    assert_after_kill(first_night, warehouse, published=False)
    recovered = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert_matches_truth(warehouse, first_night.sim)


@pytest.mark.slow
@pytest.mark.parametrize("point", SLOW_POINTS)
def test_sweep_of_kill_points(first_night: FirstNight, point: str, tmp_path: Path) -> None:
    killed_then_next_night(first_night, first_night.second_night(tmp_path), point)


@pytest.mark.slow
@pytest.mark.parametrize("requests", (5, 20, 60, 100, 140))
def test_sweep_of_outside_kills_by_requests_served(
    first_night: FirstNight, requests: int, tmp_path: Path
) -> None:
    warehouse = first_night.second_night(tmp_path)
    run = start_civic_etl("run", "--warehouse", str(warehouse), env=first_night.env)
    if kill_when_served(run, first_night.sim, requests):
        assert_after_kill(first_night, warehouse, published=False)
    recovered = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert_matches_truth(warehouse, first_night.sim)


@pytest.mark.slow
@pytest.mark.parametrize("point", ("table_job:tags", "sql_job:2", "loaded"))
def test_a_killed_run_whose_local_dlt_folder_is_lost_is_recovered_from_the_warehouse(
    first_night: FirstNight, point: str, tmp_path: Path
) -> None:
    """dlt restores cursors from the warehouse, only from loads it recorded as complete."""
    warehouse = first_night.second_night(tmp_path)
    killed = civic_etl("run", "--warehouse", str(warehouse), env=first_night.env, kill_at=point)
    assert killed.returncode == -signal.SIGKILL
    shutil.rmtree(warehouse.parent / ".civic-etl")
    recovered = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert_matches_truth(warehouse, first_night.sim)
