"""`tag_people` against the simulator: the tag ends up holding the segment, sending only changes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.simulator import an_tag_members, reset_stats, truth
from tests.support.warehouse import query
from tests.writeback.helpers import SIZES, an_connection, an_people, rows_table, writes
from writeback import AnConnection, WritebackError, tag_people

TAGGING = "action_network POST /api/v2/tags/{tag_id}/taggings"
UNTAGGING = "action_network DELETE /api/v2/tags/{tag_id}/taggings/{tagging_id}"
NEW_TAG = "action_network POST /api/v2/tags"
SEGMENT = "select * from segment"
COLUMNS = {"action_network_person_id": "varchar", "email": "varchar"}
NOBODY = "action_network:00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SimConfig(rate_limits=False, **SIZES)) as running:
        yield running


@pytest.fixture(scope="module")
def people(sim: RunningSimulator) -> list[dict[str, Any]]:
    """The group's first people, as the truth has them before any test tags anyone."""
    return an_people(sim)[:12]


@pytest.fixture
def an(sim: RunningSimulator) -> AnConnection:
    return an_connection(sim)


def segment(path: Path, rows: Sequence[tuple[str | None, str | None]]) -> Path:
    return rows_table(path, "segment", COLUMNS, rows)


def by_id(people: list[dict[str, Any]]) -> list[tuple[str | None, str | None]]:
    return [(person["id"], None) for person in people]


def email_of(person: dict[str, Any]) -> str:
    return str(person["email_addresses"][0]["address"])


def test_tag_holds_the_people_named_by_id_or_found_by_email(
    sim: RunningSimulator, an: AnConnection, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    rows = [
        *by_id(people[:4]),
        (people[4]["id"].removeprefix("action_network:"), None),  # a bare uuid names them too
        (None, f"  {email_of(people[5]).upper()} "),  # found by email, as AN compares it
        (None, email_of(people[6])),
        (people[0]["id"], email_of(people[7])),  # the id wins over the email
        (None, "nobody@nowhere.example"),
        (None, None),
        ("not-an-id", None),
    ]
    warehouse = segment(tmp_path / "w.duckdb", rows)
    reset_stats(sim)
    result = tag_people(
        warehouse, "by id or email", SEGMENT, remove_others=False, dry_run=False, connection=an
    )
    wanted = {person["id"] for person in people[:7]}
    assert an_tag_members(sim, "by id or email") == wanted
    assert (result.created, result.people, result.added, result.removed) == (True, 7, 7, 0)
    assert writes(sim, "action_network") == {NEW_TAG: 1, TAGGING: 7}
    assert [(s.row, s.reason) for s in result.skipped] == [
        (9, "no Action Network person has this email"),
        (10, "no action_network_person_id and no email"),
        (11, "not an Action Network person id"),
    ]
    logged = query(
        warehouse,
        "select status, tag, rows, people, created, added, removed, skipped, failed"
        " from civic_etl.an_tag_pushes",
    )
    assert logged == [("done", "by id or email", 11, 7, True, 7, 0, 3, 0)]
    bad = query(
        warehouse,
        "select row_number, outcome, reason from civic_etl.writeback_skipped_rows order by 1",
    )
    assert [row[:2] for row in bad] == [(9, "skipped"), (10, "skipped"), (11, "skipped")]


def test_second_run_sends_no_write_request(
    sim: RunningSimulator, an: AnConnection, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    warehouse = segment(tmp_path / "w.duckdb", [*by_id(people[:3]), (None, email_of(people[3]))])
    tag_people(warehouse, "twice", SEGMENT, remove_others=True, dry_run=False, connection=an)
    reset_stats(sim)
    again = tag_people(
        warehouse, "twice", SEGMENT, remove_others=True, dry_run=False, connection=an
    )
    assert (again.created, again.added, again.removed, again.write_requests) == (False, 0, 0, 0)
    assert writes(sim, "action_network") == {}
    assert again.render().startswith("Tag 'twice'") and "nothing to send" in again.render()
    assert an_tag_members(sim, "twice") == {person["id"] for person in people[:4]}


def test_others_keep_the_tag_unless_removed(
    sim: RunningSimulator, an: AnConnection, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    warehouse = segment(tmp_path / "w.duckdb", by_id(people[:8]))
    tag_people(warehouse, "shrinks", SEGMENT, remove_others=False, dry_run=False, connection=an)
    segment(warehouse, by_id(people[5:10]))
    reset_stats(sim)
    kept = tag_people(
        warehouse, "shrinks", SEGMENT, remove_others=False, dry_run=False, connection=an
    )
    assert (kept.added, kept.removed, kept.others_kept) == (2, 0, 5)
    assert an_tag_members(sim, "shrinks") == {person["id"] for person in people[:10]}
    assert "5 people it holds are not in the segment" in kept.render()
    reset_stats(sim)
    pruned = tag_people(
        warehouse, "shrinks", SEGMENT, remove_others=True, dry_run=False, connection=an
    )
    assert (pruned.added, pruned.removed, pruned.others_kept) == (0, 5, 0)
    assert writes(sim, "action_network") == {UNTAGGING: 5}
    assert an_tag_members(sim, "shrinks") == {person["id"] for person in people[5:10]}


def test_an_existing_tag_is_found_by_name_ignoring_case(
    sim: RunningSimulator, an: AnConnection, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    before = an_tag_members(sim, "Volunteer 3")
    assert before is not None
    warehouse = segment(tmp_path / "w.duckdb", by_id(people[:2]))
    reset_stats(sim)
    result = tag_people(
        warehouse, " volunteer 3", SEGMENT, remove_others=False, dry_run=False, connection=an
    )
    assert not result.created and NEW_TAG not in writes(sim, "action_network")
    assert an_tag_members(sim, "Volunteer 3") == before | {person["id"] for person in people[:2]}


def test_dry_run_sends_no_write_and_samples_what_would_change(
    sim: RunningSimulator, an: AnConnection, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    warehouse = segment(tmp_path / "w.duckdb", by_id(people[:7]))
    reset_stats(sim)
    new = tag_people(warehouse, "dry", SEGMENT, remove_others=True, dry_run=True, connection=an)
    assert (new.created, new.added, new.removed, new.write_requests) == (True, 7, 0, 8)
    assert new.sample_added == sorted(person["id"] for person in people[:7])[:5]
    assert new.render().startswith("Dry run, nothing sent") and ", ...)" in new.render()
    assert writes(sim, "action_network") == {} and an_tag_members(sim, "dry") is None
    tag_people(warehouse, "dry", SEGMENT, remove_others=True, dry_run=False, connection=an)
    segment(warehouse, by_id(people[5:9]))
    reset_stats(sim)
    change = tag_people(warehouse, "dry", SEGMENT, remove_others=True, dry_run=True, connection=an)
    assert (change.created, change.added, change.removed) == (False, 2, 5)
    assert writes(sim, "action_network") == {}
    assert an_tag_members(sim, "dry") == {person["id"] for person in people[:7]}
    assert query(warehouse, "select count(*) from civic_etl.an_tag_pushes") == [(1,)]


def test_a_person_action_network_no_longer_has_is_reported_and_the_rest_tagged(
    sim: RunningSimulator, an: AnConnection, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    warehouse = segment(tmp_path / "w.duckdb", [*by_id(people[:3]), (NOBODY, None)])
    result = tag_people(
        warehouse, "stale", SEGMENT, remove_others=False, dry_run=False, connection=an
    )
    assert an_tag_members(sim, "stale") == {person["id"] for person in people[:3]}
    assert result.added == 3 and [(f.row, f.outcome) for f in result.failed] == [(4, "refused")]
    assert "404" in result.failed[0].reason and "refused" in result.render()
    logged = query(warehouse, "select outcome from civic_etl.writeback_skipped_rows")
    assert logged == [("refused",)]


def test_an_empty_segment_makes_no_tag(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    warehouse = segment(tmp_path / "w.duckdb", [])
    before = truth(sim)["action_network"]["tags"]["count"]
    result = tag_people(
        warehouse, "empty", SEGMENT, remove_others=True, dry_run=False, connection=an
    )
    assert (result.created, result.write_requests) == (False, 0)
    assert truth(sim)["action_network"]["tags"]["count"] == before


def test_query_naming_nobody_is_refused(an: AnConnection, tmp_path: Path) -> None:
    warehouse = rows_table(tmp_path / "w.duckdb", "t", {"signup_id": "bigint"}, [(1,)])
    with pytest.raises(WritebackError, match="needs a column action_network_person_id"):
        tag_people(
            warehouse, "x", "select * from t", remove_others=False, dry_run=True, connection=an
        )
    with pytest.raises(WritebackError, match="--tag is empty"):
        tag_people(
            warehouse, " ", "select * from t", remove_others=False, dry_run=True, connection=an
        )
