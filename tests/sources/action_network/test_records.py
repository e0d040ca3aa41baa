"""OSDI records to rows: ids, person and parent links, both timestamp dialects, exact money."""

from __future__ import annotations

from typing import Any

import pytest

from sources.action_network import schemas
from sources.action_network.records import (
    TableBuilder,
    action_row,
    cents,
    donation_row,
    page_row,
    person_row,
    record_row,
)
from sources.tables import RecordError

BASE = "https://actionnetwork.org/api/v2"
PERSON_UUID = "5b1c7e2a-3f44-4d0e-9a61-2c8f0e7d9b13"
PAGE_ID = "action_network:f7c3a2d8-6e1b-4f90-b5d4-2a8c9e1f0b36"


def donation(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "identifiers": ["action_network:8a4e1f3c-2b9d-47a6-9c0e-d1f6b3a7e254", "stripe:ch_1"],
        "created_date": "2025-06-01T19:22:40Z",
        "modified_date": "2025-06-01T19:22:41Z",
        "amount": "35.00",
        "currency": "usd",
        "recipients": [{"display_name": "Tucson Tenants Union", "amount": "35.00"}],
        "payment": {"method": "Credit Card", "reference_number": "ch_3PkQ2x"},
        "action_network:recurrence": {"recurring": True, "period": "Monthly"},
        "action_network:person_id": PERSON_UUID,
        "action_network:fundraising_page_id": PAGE_ID.removeprefix("action_network:"),
        "_links": {"osdi:person": {"href": f"{BASE}/people/{PERSON_UUID}"}},
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("20.01", 2001), ("0.1", 10), ("1000000.00", 100_000_000), (35, 3500), (20.01, 2001)],
)
def test_cents_are_exact(amount: Any, expected: int) -> None:
    assert cents(amount) == expected


@pytest.mark.parametrize("amount", ["1.005", "abc", "$5.00", True, "NaN"])
def test_cents_reject_what_is_not_whole_cents(amount: Any) -> None:
    with pytest.raises(RecordError):
        cents(amount)


def test_donation_row_has_money_recurrence_person_and_page() -> None:
    row = donation_row(donation(), "fundraising_page_id", PAGE_ID)
    assert row["id"] == "action_network:8a4e1f3c-2b9d-47a6-9c0e-d1f6b3a7e254"
    assert row["identifiers"][1] == "stripe:ch_1"
    assert (row["amount_cents"], row["currency"]) == (3500, "usd")
    assert (row["is_recurring"], row["recurrence_period"]) == (True, "Monthly")
    assert row["person_id"] == f"action_network:{PERSON_UUID}"
    assert row["fundraising_page_id"] == PAGE_ID
    assert "amount" not in row and "recurrence" not in row


def test_donation_without_recurrence_is_not_recurring() -> None:
    record = donation()
    del record["action_network:recurrence"]
    row = donation_row(record, "fundraising_page_id", PAGE_ID)
    assert (row["is_recurring"], row["recurrence_period"]) == (False, None)


def test_person_id_falls_back_to_the_bare_uuid_copy() -> None:
    row = action_row(donation(_links={}), "fundraising_page_id", PAGE_ID)
    assert row["person_id"] == f"action_network:{PERSON_UUID}"


def test_both_timestamp_dialects_land_in_created_at_and_modified_at() -> None:
    live = record_row(donation())
    doc_record = donation(created_at="2025-06-01T19:22:40Z", modified_at="2025-06-01T19:22:41Z")
    del doc_record["created_date"], doc_record["modified_date"]
    doc = record_row(doc_record)
    for row in (live, doc):
        assert (row["created_at"], row["modified_at"]) == (
            "2025-06-01T19:22:40Z",
            "2025-06-01T19:22:41Z",
        )
        assert "created_date" not in row and "modified_date" not in row


def test_person_row_takes_the_primary_entries() -> None:
    row = person_row(
        {
            "identifiers": [f"action_network:{PERSON_UUID}"],
            "email_addresses": [
                {"primary": False, "address": "old@example.net"},
                {"primary": True, "address": "luis@example.net"},
            ],
            "phone_numbers": [{"number": "15205550187"}],
            "postal_addresses": [{"primary": True, "region": "AZ", "postal_code": "85719"}],
        }
    )
    assert row["primary_email"] == "luis@example.net"
    assert row["primary_phone"] == "15205550187"  # no primary flag: the first one
    assert (row["region"], row["postal_code"], row["country"]) == ("AZ", "85719", None)


def test_page_row_keeps_creator_and_total_in_cents() -> None:
    row = page_row(
        {
            "identifiers": [PAGE_ID],
            "total_amount": "302.14",
            "action_network:hidden": False,
            "_links": {"osdi:creator": {"href": f"{BASE}/people/{PERSON_UUID}"}},
            "_embedded": {"osdi:creator": {"identifiers": []}},
        }
    )
    assert row["total_amount_cents"] == 30214
    assert row["creator_id"] == f"action_network:{PERSON_UUID}"
    assert row["hidden"] is False
    assert "_embedded" not in row and "_links" not in row


@pytest.mark.parametrize(
    "record", [{}, {"identifiers": []}, {"identifiers": ["foreign_system:1"]}, "not a record"]
)
def test_record_without_an_action_network_identifier_is_rejected(record: Any) -> None:
    with pytest.raises(RecordError):
        record_row(record)


def test_table_builder_names_the_bad_record_and_column() -> None:
    builder = TableBuilder(schemas.DONATIONS)
    good = donation()
    bad = donation(modified_date="yesterday")
    with pytest.raises(RecordError, match=r"column modified_at: not a timestamp"):
        builder.build([good, bad], lambda r: donation_row(r, "fundraising_page_id", PAGE_ID))
    with pytest.raises(RecordError, match=r"^record 2: "):
        builder.build([good, {"identifiers": []}], person_row)


def test_table_builder_types_the_declared_columns() -> None:
    table = TableBuilder(schemas.DONATIONS).build(
        [donation()], lambda r: donation_row(r, "fundraising_page_id", PAGE_ID)
    )
    types = {field.name: str(field.type) for field in table.schema}
    assert types["amount_cents"] == "int64"
    assert types["modified_at"] == "timestamp[us, tz=UTC]"
    assert types["is_recurring"] == "bool"
    assert table.column("payment").to_pylist() == [
        '{"method":"Credit Card","reference_number":"ch_3PkQ2x"}'
    ]
