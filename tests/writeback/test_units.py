"""Write-back pieces that need no server: CSV chunks, encoding, segments, id columns, batches."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from warehouse.segments import run_segment
from writeback import SEGMENTS_DIR, WritebackError, resolve_segment
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
