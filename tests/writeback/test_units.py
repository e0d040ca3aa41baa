"""Write-back pieces that need no server: CSV chunks, encoding, segments, ids, batches, AN plans."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from warehouse.segments import run_segment
from writeback import SEGMENTS_DIR, WritebackError, resolve_segment
from writeback.action_network import AnPerson
from writeback.an_people import PersonRow, plan, read_rows
from writeback.an_tags import named_people
from writeback.imports import import_columns
from writeback.nationbuilder import batches, csv_chunks, encode_file
from writeback.segment import Segment, signup_ids


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_every_chunk_has_the_header_and_stays_under_the_limit() -> None:
    rows = [(f"Zoë {i}", f"z{i}@example.org", None) for i in range(50)]
    chunks = list(csv_chunks(["first_name", "email", "phone_number"], rows, max_bytes=300))
    assert len(chunks) > 3
    assert all(len(chunk.data) <= 300 for chunk in chunks)
    parsed = [parse(chunk.data) for chunk in chunks]
    assert all(p[0] == ["first_name", "email", "phone_number"] for p in parsed)
    assert [row for p in parsed for row in p[1:]] == [[a, b, ""] for a, b, _ in rows]
    assert [chunk.rows for chunk in chunks] == [len(p) - 1 for p in parsed]


def test_a_row_larger_than_a_file_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        list(csv_chunks(["note"], [("x" * 500,)], max_bytes=100))


def test_cells_are_written_as_nationbuilder_reads_them() -> None:
    row = (None, True, date(2024, 5, 1), datetime(2024, 5, 1, 12, tzinfo=UTC), 'say "hi", ok')
    (chunk,) = csv_chunks(list("abcde"), [row])
    assert parse(chunk.data)[1] == ["", "true", "2024-05-01", "2024-05-01T12:00:00+00:00", row[4]]
    assert chunk.data.endswith(b"\r\n")


def test_file_is_base64_with_the_url_safe_alphabet() -> None:
    data = "id,first_name\r\n1,Ñ?>>\r\n".encode() + bytes([0xFB, 0xFF])
    encoded = encode_file(data)
    assert "+" not in encoded and "/" not in encoded
    assert base64.urlsafe_b64decode(encoded) == data


def test_saved_segment_by_name_with_or_without_sql_suffix(tmp_path: Path) -> None:
    (tmp_path / "donors.sql").write_text("select 1 as id")
    assert resolve_segment("donors", tmp_path) == Segment("donors", "select 1 as id")
    assert resolve_segment("donors.sql", tmp_path) == Segment("donors", "select 1 as id")
    assert resolve_segment(" select 2 ", tmp_path) == Segment(None, "select 2")


def test_unknown_segment_name_lists_the_saved_ones(tmp_path: Path) -> None:
    (tmp_path / "donors.sql").write_text("select 1")
    with pytest.raises(WritebackError, match=r"no saved segment 'donorz'.*saved: donors"):
        resolve_segment("donorz", tmp_path)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["person_id", "nationbuilder_signup_id", "id"], [4, 6]),
        (["person_id", "SIGNUP_ID", "other"], [4, 6]),
        (["person_id", "x", "id"], [7, 9]),
        (["first", "x", "y"], [1, 3]),
    ],
)
def test_id_column_is_chosen_by_name_else_first(columns: list[str], expected: list[int]) -> None:
    rows = [(1, 4, 7), (3, 6, 9), (3, 6, 9), (None, None, None)]
    assert signup_ids(columns, rows) == expected


@pytest.mark.parametrize("value", ["abc", 1.5, -3, True])
def test_a_value_that_is_no_signup_id_is_refused(value: object) -> None:
    with pytest.raises(WritebackError, match="not a NationBuilder signup id"):
        signup_ids(["signup_id"], [(value,)])


def test_warehouse_names_become_import_columns() -> None:
    renamed = import_columns(["given_name", "family_name", "primary_email", "zip"])
    assert renamed == ["first_name", "last_name", "email", "zip"]
    kept = import_columns(["email", "primary_email"])
    assert kept == ["email", "primary_email"], "a column already named email wins"


def test_batches_keep_order_and_respect_the_limit() -> None:
    assert list(batches([5, 3, 9, 1, 2], 2)) == [[5, 3], [9, 1], [2]]
    with pytest.raises(ValueError, match=r"1\.\.100000"):
        list(batches([1], 100_001))


@pytest.fixture
def marts(tmp_path: Path) -> Iterator[Path]:
    """Stand-ins with the mart columns the example segments read, not the real marts."""
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema analytics")
    con.execute(
        "create table analytics.people as select * from (values"
        " ('a', 11, null, 'Ana', 'Ruiz', 'ana@x.org', true, false),"
        " ('b', null, 'an-1', 'Bo', 'Li', 'bo@x.org', false, true),"
        " ('c', null, 'an-2', 'Cy', 'Ok', null, false, true),"
        " ('d', 12, 'an-3', 'Di', 'Ng', 'di@x.org', true, true))"
        " as v(person_id, nationbuilder_signup_id, action_network_person_id, first_name,"
        " last_name, primary_email, is_in_nationbuilder, is_in_action_network)"
    )
    con.execute(
        "create table analytics.person_engagement as select * from (values"
        " ('a', 3, false, 5), ('b', 4, false, 4), ('c', 1, false, 1), ('d', 5, true, 6))"
        " as v(person_id, petitions_signed, has_donated, actions_count)"
    )
    con.execute(
        "create table analytics.contactability as select * from (values"
        " ('a', true), ('b', true), ('c', true), ('d', true)) as v(person_id, can_email)"
    )
    con.close()
    yield warehouse


def test_example_segments_run_on_the_mart_columns(marts: Path) -> None:
    petitioners = resolve_segment("petitioners_never_donated", SEGMENTS_DIR)
    assert signup_ids(*run_segment(marts, petitioners.sql)) == [11]
    activists = resolve_segment("an_activists_not_in_nb", SEGMENTS_DIR)
    columns, rows = run_segment(marts, activists.sql)
    assert import_columns(columns) == ["first_name", "last_name", "email"]
    assert rows == [("Bo", "Li", "bo@x.org")]


# ---- Action Network rows and plans ----------------------------------------------------------
UUID = "5b1c7e2a-3f44-4d0e-9a61-2c8f0e7d9b13"


def test_an_tag_reads_ids_then_emails_and_skips_the_rest() -> None:
    rows = [
        (f"action_network:{UUID}", "ignored@x.example"),
        (UUID.upper(), None),
        (None, " Ada@X.example "),
        (None, "ada@x.example"),
        ("action_network:123", None),
        (None, "o'brien@x.example"),
        (None, None),
    ]
    named = named_people(["ACTION_NETWORK_PERSON_ID", "primary_email"], rows)
    assert named.rows_of_uuid == {UUID: 1}
    assert named.rows_of_email == {"ada@x.example": [3, 4]}
    assert [(s.row, s.reason.split(" (")[0]) for s in named.skipped] == [
        (5, "not an Action Network person id"),
        (6, "an address with a quote cannot be looked up"),
        (7, "no action_network_person_id and no email"),
    ]


def test_upsert_skips_a_second_row_for_the_same_person() -> None:
    rows = [
        ("a@x.example", "15035550100"),
        ("A@X.example ", None),
        (None, "1 503 555 0100"),
        ("b@x.example", "15035550100"),  # the number is theirs too: matched by the address
    ]
    kept, skipped, _ = read_rows(["email", "mobile_number"], rows)
    assert [person.row for person in kept] == [1, 4]
    assert [(s.row, s.reason) for s in skipped] == [
        (2, "the same person as row 1"),
        (3, "the same person as row 1"),
    ]


def test_upsert_reads_columns_by_their_spellings_and_reports_the_others() -> None:
    columns = ["person_id", "given_name", "LAST_NAME", "primary_email", "phone_number", "city"]
    columns += ["address1", "zip", "extra"]
    row = ("p", "Ada", "Li", "ADA@X.example", "(503) 555-0100", "Tucson", "1 Main St", "85719", 1)
    (person,), skipped, used = read_rows(columns, [row])
    assert skipped == [] and "extra" not in used and len(used) == 8
    assert person == PersonRow(
        1,
        email="ada@x.example",
        phone="5035550100",
        names={"given_name": "Ada", "family_name": "Li"},
        postal={"locality": "Tucson", "address_lines": ["1 Main St"], "postal_code": "85719"},
        person_id="p",
    )


@pytest.mark.parametrize(
    ("can_email", "can_text", "email_status", "phone_status"),
    [
        (True, True, "subscribed", "subscribed"),
        (True, False, "subscribed", "unsubscribed"),
        (False, True, "unsubscribed", "subscribed"),
        (False, False, "unsubscribed", "unsubscribed"),
    ],
)
def test_a_new_person_always_gets_explicit_statuses(
    can_email: bool, can_text: bool, email_status: str, phone_status: str
) -> None:
    row = PersonRow(
        1, "a@x.example", "15035550100", {"given_name": "A"}, {}, "p", can_email, can_text
    )
    change = plan(row, None)
    assert change is not None and change.creates
    assert change.person == {
        "given_name": "A",
        "email_addresses": [{"address": "a@x.example", "status": email_status}],
        "phone_numbers": [
            {"number": "15035550100", "number_type": "Mobile", "status": phone_status}
        ],
    }


@pytest.mark.parametrize(
    ("held_status", "can_email", "sent"),
    [
        (None, True, "subscribed"),  # Action Network has no answer: the mart's yes is sent
        ("", True, "subscribed"),
        ("subscribed", True, None),
        ("subscribed", False, None),  # never unsubscribed
        ("unsubscribed", True, None),  # never resubscribed
        ("previous bounce", True, None),
        ("spam complaint", True, None),
        (None, False, None),
    ],
)
def test_a_held_address_is_subscribed_only_from_no_answer(
    held_status: str | None, can_email: bool, sent: str | None
) -> None:
    held = AnPerson(UUID, "A", "B", {"a@x.example": held_status})
    change = plan(PersonRow(1, "a@x.example", can_email=can_email), held)
    if sent is None:
        assert change is None
    else:
        assert change is not None and not change.creates
        assert change.person == {"email_addresses": [{"address": "a@x.example", "status": sent}]}


def test_a_held_person_is_only_filled_in() -> None:
    held = AnPerson(UUID, None, "Held", {"a@x.example": "subscribed"}, postal={"region": "AZ"})
    row = PersonRow(
        1,
        "a@x.example",
        "15035550100",
        {"given_name": "Ada", "family_name": "Row"},
        {"region": "OR", "postal_code": "97201"},
        can_text=False,
    )
    change = plan(row, held)
    assert change is not None and change.changes == (
        "phone unsubscribed",
        "given_name",
        "postal_code",
    )
    assert change.person == {
        "given_name": "Ada",
        "email_addresses": [{"address": "a@x.example"}],
        "phone_numbers": [
            {"number": "15035550100", "number_type": "Mobile", "status": "unsubscribed"}
        ],
        "postal_addresses": [{"postal_code": "97201"}],
    }
    other_number = AnPerson(UUID, "A", "B", {"a@x.example": "subscribed"}, "15205550000", None)
    assert plan(replace(row, names={}, postal={}, can_text=True), other_number) is None


def test_a_phone_only_row_is_matched_by_its_number() -> None:
    held = AnPerson(UUID, None, None, {}, "15035550100", None)
    change = plan(PersonRow(1, None, "15035550100", {"given_name": "Ed"}), held)
    assert change is not None
    assert change.person == {
        "given_name": "Ed",
        "phone_numbers": [{"number": "15035550100", "number_type": "Mobile"}],
    }
