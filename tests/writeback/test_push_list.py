"""`push_list` against the simulator: the list ends up as the segment, sending only changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.simulator import requests_served, reset_stats
from tests.support.warehouse import query
from tests.writeback.helpers import (
    SIZES,
    connection,
    make_warehouse,
    members,
    nb_list,
    nb_truth,
    segment_table,
    writes,
)
from writeback import NbConnection, WritebackError, push_list

ADD = "nationbuilder POST /api/v1/lists/{list_id}/people"
REMOVE = "nationbuilder DELETE /api/v1/lists/{list_id}/people"
TAG = "nationbuilder POST /api/v1/lists/{list_id}/tag/{tag}"
CREATE = "nationbuilder POST /api/v1/lists"
SEGMENT = "select signup_id from segment"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """NationBuilder's real rate limit stays on: write-back must live within it."""
    with serve_in_thread(SimConfig(**SIZES)) as running:
        yield running


@pytest.fixture
def nb(sim: RunningSimulator, tmp_path: Path) -> NbConnection:
    return connection(sim, tmp_path)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return segment_table(tmp_path / "w.duckdb", range(10, 40))


def test_first_push_creates_the_list_holding_exactly_the_segment(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    result = push_list(warehouse, "first-push", SEGMENT, tag=None, dry_run=False, connection=nb)
    assert result.created and result.list_id is not None
    assert (result.added, result.removed, result.segment_size) == (30, 0, 30)
    assert members(sim, result.list_id) == set(range(10, 40))
    assert result.list_id in nb_truth(sim)["lists"]["ids"]
    assert "created it, added 30" in result.render()


def test_new_list_author_is_the_token_owner_unless_given(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    push_list(warehouse, "owned", SEGMENT, tag=None, dry_run=False, connection=nb)
    push_list(
        warehouse,
        "authored",
        SEGMENT,
        tag=None,
        dry_run=False,
        connection=nb,
        list_name="Authored list",
        author_id=7,
    )
    owned, authored = nb_list(sim, "owned"), nb_list(sim, "authored")
    assert owned is not None and (owned["name"], owned["author_id"]) == ("owned", 1)
    assert authored is not None and (authored["name"], authored["author_id"]) == (
        "Authored list",
        7,
    )


def test_second_push_sends_no_write_request(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    push_list(warehouse, "twice", SEGMENT, tag="twice-tag", dry_run=False, connection=nb)
    reset_stats(sim)
    again = push_list(warehouse, "twice", SEGMENT, tag="twice-tag", dry_run=False, connection=nb)
    assert (again.created, again.added, again.removed, again.tagged) == (False, 0, 0, False)
    assert writes(sim) == {}
    assert "already matches" in again.render()


def test_push_removes_people_who_left_the_segment(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    first = push_list(warehouse, "shrinks", SEGMENT, tag=None, dry_run=False, connection=nb)
    segment_table(warehouse, [*range(10, 20), 50, 51])
    reset_stats(sim)
    second = push_list(warehouse, "shrinks", SEGMENT, tag=None, dry_run=False, connection=nb)
    assert (second.list_id, second.added, second.removed) == (first.list_id, 2, 20)
    assert members(sim, second.list_id) == {*range(10, 20), 50, 51}
    assert writes(sim) == {ADD: 1, REMOVE: 1}


def test_empty_segment_empties_the_list(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    first = push_list(warehouse, "emptied", SEGMENT, tag="t", dry_run=False, connection=nb)
    segment_table(warehouse, [])
    second = push_list(warehouse, "emptied", SEGMENT, tag="t", dry_run=False, connection=nb)
    assert (second.removed, second.tagged) == (30, False)
    assert members(sim, first.list_id) == set()


def test_tag_is_sent_once_and_again_only_for_newcomers(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    tag = "3+ petitions/2025"
    taggings_before = nb_truth(sim)["signup_taggings"]["count"]
    reset_stats(sim)
    first = push_list(warehouse, "tagged", SEGMENT, tag=tag, dry_run=False, connection=nb)
    assert first.tagged and writes(sim)[TAG] == 1
    assert nb_truth(sim)["signup_taggings"]["count"] == taggings_before + 30
    reset_stats(sim)
    push_list(warehouse, "tagged", SEGMENT, tag="another tag", dry_run=False, connection=nb)
    assert writes(sim) == {TAG: 1}, "a tag not applied to this list before is sent"
    segment_table(warehouse, range(10, 41))
    reset_stats(sim)
    push_list(warehouse, "tagged", SEGMENT, tag=tag, dry_run=False, connection=nb)
    assert writes(sim) == {ADD: 1, TAG: 1}
    assert nb_truth(sim)["signup_taggings"]["count"] == taggings_before + 30 + 30 + 1


def test_adds_and_removes_are_split_into_batches(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    reset_stats(sim)
    first = push_list(
        warehouse, "batched", SEGMENT, tag=None, dry_run=False, connection=nb, batch_size=7
    )
    assert writes(sim) == {CREATE: 1, ADD: 5}, "30 ids in batches of 7"
    segment_table(warehouse, range(10, 22))
    reset_stats(sim)
    push_list(warehouse, "batched", SEGMENT, tag=None, dry_run=False, connection=nb, batch_size=5)
    assert writes(sim) == {REMOVE: 4}, "18 ids leave in batches of 5"
    assert members(sim, first.list_id) == set(range(10, 22))


def test_dry_run_sends_no_write_and_says_what_would_change(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path
) -> None:
    reset_stats(sim)
    new = push_list(warehouse, "dry", SEGMENT, tag="dry-tag", dry_run=True, connection=nb)
    assert (new.created, new.added, new.removed, new.tagged) == (True, 30, 0, True)
    assert new.render().startswith("Dry run, nothing sent")
    assert nb_list(sim, "dry") is None
    real = push_list(warehouse, "dry", SEGMENT, tag=None, dry_run=False, connection=nb)
    segment_table(warehouse, range(30, 45))
    reset_stats(sim)
    change = push_list(warehouse, "dry", SEGMENT, tag=None, dry_run=True, connection=nb)
    assert (change.created, change.added, change.removed) == (False, 5, 20)
    assert writes(sim) == {}
    assert members(sim, real.list_id) == set(range(10, 40))


def test_saved_segment_is_run_and_logged_by_name(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    segments = tmp_path / "segments"
    segments.mkdir()
    (segments / "first_five.sql").write_text(
        "-- the first five people\nselect person_id, nationbuilder_signup_id from people"
        " where nationbuilder_signup_id <= 5\n"
    )
    warehouse = make_warehouse(
        tmp_path / "w.duckdb",
        "create table people as select 'p' || range as person_id,"
        " case when range % 2 = 0 then range end as nationbuilder_signup_id from range(1, 12)",
    )
    result = push_list(
        warehouse,
        "saved",
        "first_five",
        tag=None,
        dry_run=False,
        connection=nb,
        segments_dir=segments,
    )
    assert members(sim, result.list_id) == {2, 4}, "people not in NationBuilder (null) are skipped"
    logged = query(warehouse, "select segment, list_slug, added from civic_etl.list_pushes")
    assert logged == [("first_five", "saved", 2)]


def test_ids_nationbuilder_does_not_know_are_reported(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = segment_table(tmp_path / "w.duckdb", [1, 2, 9_999_999])
    result = push_list(warehouse, "stale", SEGMENT, tag=None, dry_run=False, connection=nb)
    assert (result.added, result.not_added) == (3, 1)
    assert "did not add 1" in result.render()


def test_failing_query_is_one_line_naming_the_problem(nb: NbConnection, warehouse: Path) -> None:
    with pytest.raises(WritebackError, match="failed on the warehouse: Catalog Error"):
        push_list(warehouse, "x", "select id from nowhere", tag=None, dry_run=True, connection=nb)


@pytest.mark.parametrize("slug", ["two words", "café", "", "list/1"])
def test_a_slug_nationbuilder_refuses_is_refused_even_in_a_dry_run(
    sim: RunningSimulator, nb: NbConnection, warehouse: Path, slug: str
) -> None:
    reset_stats(sim)
    with pytest.raises(WritebackError, match="would be refused by NationBuilder"):
        push_list(warehouse, slug, SEGMENT, tag=None, dry_run=True, connection=nb)
    assert requests_served(sim) == 0
