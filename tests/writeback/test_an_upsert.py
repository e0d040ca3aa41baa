"""`upsert_people` against the simulator: people made or filled in, statuses as the rule says."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.simulator import an_people_by_email, configured, reset_stats, stats, truth
from tests.support.warehouse import query
from tests.writeback.helpers import (
    SIZES,
    an_connection,
    an_people,
    contactability_table,
    rows_table,
    writes,
)
from writeback import AnConnection, WritebackError, upsert_people

HELPER = "action_network POST /api/v2/people"
SEGMENT = "select * from segment"
COLUMNS = {
    "person_id": "varchar",
    "first_name": "varchar",
    "email": "varchar",
    "mobile_number": "varchar",
    "postal_code": "varchar",
}
Row = tuple[str | None, str | None, str | None, str | None, str | None]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SimConfig(rate_limits=False, **SIZES)) as running:
        yield running


@pytest.fixture
def an(sim: RunningSimulator) -> AnConnection:
    return an_connection(sim)


def segment(
    path: Path, rows: Sequence[Row], verdicts: dict[str, tuple[bool, bool]] | None = None
) -> Path:
    """The segment's rows, and the contactability mart saying (can_email, can_text)."""
    contactability_table(path, verdicts or {})
    return rows_table(path, "segment", COLUMNS, rows)


def held(sim: RunningSimulator, email: str) -> dict[str, Any]:
    return an_people_by_email(sim)[email]


def with_statuses(
    sim: RunningSimulator, email: str | None, phone: str | None = "any"
) -> dict[str, Any]:
    """A person of the group whose primary address has this status (and number, that one)."""
    for person in an_people(sim):
        numbers = person["phone_numbers"]
        if person["email_addresses"][0]["status"] == email and (
            phone == "any" or (numbers and numbers[0]["status"] == phone)
        ):
            return person
    raise AssertionError(f"no person with statuses {email}/{phone}")


def as_row(person: dict[str, Any], person_id: str, phone: bool = False) -> Row:
    number = person["phone_numbers"][0]["number"] if phone else None
    return (person_id, "Renamed", person["email_addresses"][0]["address"], number, "99999")


def test_new_people_are_subscribed_only_where_contactability_says_so(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    rows: list[Row] = [
        ("p-mail", "Ada", "ada@up.example", "+1 503 555 0101", "97201"),
        ("p-text", "Bea", " Bea@Up.example ", "15035550102", None),
        ("p-none", "Cy", "cy@up.example", "15035550103", None),
        (None, "Di", "di@up.example", None, None),
        ("p-text-only", "Ed", None, "15035550104", None),
    ]
    verdicts = {"p-mail": (True, False), "p-text": (False, True), "p-text-only": (False, True)}
    warehouse = segment(tmp_path / "w.duckdb", rows, {**verdicts, "p-none": (False, False)})
    before = truth(sim)["action_network"]["people"]["count"]
    reset_stats(sim)
    result = upsert_people(warehouse, SEGMENT, dry_run=False, connection=an)
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert writes(sim, "action_network") == {HELPER: 5}
    assert truth(sim)["action_network"]["people"]["count"] == before + 5
    ada, bea, cy, di = (held(sim, f"{n}@up.example") for n in ("ada", "bea", "cy", "di"))
    assert (ada["given_name"], ada["postal_addresses"][0]["postal_code"]) == ("Ada", "97201")
    assert [ada["email_addresses"][0]["status"], ada["phone_numbers"][0]["status"]] == [
        "subscribed",
        "unsubscribed",
    ]
    assert [bea["email_addresses"][0]["status"], bea["phone_numbers"][0]["status"]] == [
        "unsubscribed",
        "subscribed",
    ]
    assert cy["email_addresses"][0]["status"] == cy["phone_numbers"][0]["status"] == "unsubscribed"
    assert di["email_addresses"][0]["status"] == "unsubscribed", "no person_id: not emailable"
    (ed,) = [p for p in an_people(sim) if p["given_name"] == "Ed"]
    assert ed["email_addresses"] == [] and ed["phone_numbers"][0]["status"] == "subscribed"
    assert (result.email_subscribed, result.email_not_subscribed) == (1, 3)
    assert (result.text_subscribed, result.text_not_subscribed) == (2, 2)


def test_statuses_action_network_holds_are_never_changed(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    unsubscribed = with_statuses(sim, "unsubscribed")
    subscribed = with_statuses(sim, "subscribed")
    no_text_status = with_statuses(sim, "bouncing", None)
    no_texts = with_statuses(sim, "spam complaint", "unsubscribed")
    rows = [
        as_row(unsubscribed, "a"),
        as_row(subscribed, "b"),
        as_row(no_text_status, "c", phone=True),
        as_row(no_texts, "d", phone=True),
    ]
    # The mart says yes where Action Network says no (a) and no where it says yes (b).
    verdicts = {"a": (True, True), "b": (False, False), "c": (True, True), "d": (True, True)}
    warehouse = segment(tmp_path / "w.duckdb", rows, verdicts)
    reset_stats(sim)
    result = upsert_people(warehouse, SEGMENT, dry_run=False, connection=an)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert writes(sim, "action_network") == {HELPER: 1}, "only the number without a status"
    after = {p["id"]: p for p in an_people(sim)}
    for person in (unsubscribed, subscribed, no_texts):
        assert after[person["id"]]["email_addresses"] == person["email_addresses"]
        assert after[person["id"]]["phone_numbers"] == person["phone_numbers"]
    assert after[no_text_status["id"]]["phone_numbers"][0]["status"] == "subscribed"
    assert after[no_text_status["id"]]["email_addresses"][0]["status"] == "bouncing"
    names = {after[p["id"]]["given_name"] for p in (unsubscribed, subscribed, no_text_status)}
    assert "Renamed" not in names, "a name Action Network has is not overwritten"


def test_rows_without_a_usable_email_or_phone_are_reported_not_sent(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    rows: list[Row] = [
        ("p1", "Fay", "fay@up.example", None, None),
        ("p2", "Nobody", None, None, None),
        ("p3", "Typo", "fay at up.example", "15035550105", None),
        ("p4", "Twin", "FAY@up.example", None, None),
        ("p5", "Short", None, "12", None),
    ]
    warehouse = segment(tmp_path / "w.duckdb", rows, {"p1": (True, True)})
    reset_stats(sim)
    result = upsert_people(warehouse, SEGMENT, dry_run=False, connection=an)
    assert writes(sim, "action_network") == {HELPER: 1}
    assert [(s.row, s.reason) for s in result.skipped] == [
        (2, "no email or phone"),
        (3, "not an email address"),
        (4, "the same person as row 1"),
        (5, "not a phone number"),
    ]
    assert "4 rows skipped" in result.render()
    logged = query(
        warehouse,
        "select command, row_number, outcome, reason from civic_etl.writeback_skipped_rows"
        " order by row_number",
    )
    assert [row[:3] for row in logged] == [("an-upsert-people", n, "skipped") for n in (2, 3, 4, 5)]
    counts = query(warehouse, "select status, rows, created, skipped from civic_etl.an_upserts")
    assert counts == [("done", 5, 1, 4)]


def test_second_run_sends_no_write_request(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    rows: list[Row] = [
        ("g1", "Gus", "gus@up.example", "15035550106", "97202"),
        ("g2", "Hal", None, "15035550107", None),
    ]
    warehouse = segment(tmp_path / "w.duckdb", rows, {"g1": (True, False), "g2": (False, True)})
    upsert_people(warehouse, SEGMENT, dry_run=False, connection=an)
    reset_stats(sim)
    again = upsert_people(warehouse, SEGMENT, dry_run=False, connection=an)
    assert (again.created, again.updated, again.unchanged, again.write_requests) == (0, 0, 2, 0)
    assert writes(sim, "action_network") == {}
    assert "nothing to send" in again.render()
    runs = query(warehouse, "select created, unchanged from civic_etl.an_upserts order by 1 desc")
    assert runs == [(2, 0), (0, 2)], "every run is logged, the one that changed nothing too"


def test_dry_run_sends_no_write_and_samples_what_would_change(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    rows: list[Row] = [("i1", "Ivy", "ivy@up.example", None, None)]
    warehouse = segment(tmp_path / "w.duckdb", rows, {"i1": (True, True)})
    reset_stats(sim)
    result = upsert_people(warehouse, SEGMENT, dry_run=True, connection=an)
    assert (result.created, result.email_subscribed, result.write_requests) == (1, 1, 1)
    assert result.sample == ["row 1 ivy@up.example: create (email subscribed)"]
    assert result.render().startswith("Dry run, nothing sent")
    assert writes(sim, "action_network") == {}
    assert "ivy@up.example" not in an_people_by_email(sim)
    tables = query(warehouse, "select table_name from information_schema.tables")
    assert ("an_upserts",) not in tables


def test_without_person_id_nobody_is_subscribed(
    sim: RunningSimulator, an: AnConnection, tmp_path: Path
) -> None:
    warehouse = rows_table(
        tmp_path / "w.duckdb",
        "segment",
        {"email": "varchar", "can_email": "boolean", "note": "varchar"},
        [("jo@up.example", True, "the segment's own can_email is not used")],
    )
    result = upsert_people(warehouse, SEGMENT, dry_run=False, connection=an)
    assert held(sim, "jo@up.example")["email_addresses"][0]["status"] == "unsubscribed"
    assert not result.has_contactability and "nobody is subscribed" in result.render()
    assert result.ignored_columns == ["can_email", "note"]


def test_requests_keep_to_action_networks_rate(sim: RunningSimulator, tmp_path: Path) -> None:
    """At the default 4 requests/s the simulator's own 4/s limit never has to refuse one."""
    rows: list[Row] = [(f"k{n}", "Kim", f"kim{n}@up.example", None, None) for n in range(5)]
    warehouse = segment(tmp_path / "w.duckdb", rows)
    key = "an-key-of-the-rate-test"
    with configured(sim, rate_limits=True, an_keys=[key]):
        reset_stats(sim)
        paced = AnConnection(key, sim.action_network_url)  # the default rate: 4/s
        result = upsert_people(warehouse, SEGMENT, dry_run=False, connection=paced)
        seen = stats(sim)
    assert result.created == 5
    assert seen["requests"]["action_network"] == 10, "5 look-ups and 5 helper posts"
    assert seen["throttled"] == {}


def test_query_without_email_or_phone_is_refused(an: AnConnection, tmp_path: Path) -> None:
    warehouse = rows_table(tmp_path / "w.duckdb", "t", {"first_name": "varchar"}, [("Lu",)])
    with pytest.raises(WritebackError, match="needs an email"):
        upsert_people(warehouse, "select * from t", dry_run=True, connection=an)
