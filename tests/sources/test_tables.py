"""Records to Arrow tables: declared columns typed, undeclared ones typed by their names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from sources.action_network import schemas as action_network_schemas
from sources.tables import RecordError, arrow_schema, dlt_hints, named_type, to_table

DECLARED = {"id": "id", "name": "str"}


def page(*extras: dict[str, Any]) -> pa.Table:
    """A page of records with the declared columns plus the given undeclared attributes."""
    rows = [{"id": index, "name": f"n{index}", **extra} for index, extra in enumerate(extras, 1)]
    return to_table(rows, DECLARED, arrow_schema(DECLARED, ["id"]))


def column_type(table: pa.Table, name: str) -> pa.DataType:
    return table.schema.field(name).type


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("invoices_amount_in_cents", "int"),
        ("overdue_invoices_count", "int"),
        ("first_invoice_at", "ts"),
        ("is_member", "bool"),
        ("support_probability_score", "str"),
        ("count_of_things", "str"),  # the suffix, not the word, promises an integer
        ("island", "str"),  # `is_` is a prefix with its underscore
    ],
)
def test_named_type_follows_the_apis_naming(key: str, code: str) -> None:
    assert named_type(key) == code


def test_undeclared_cents_and_counts_land_as_integers() -> None:
    table = page(
        {"invoices_amount_in_cents": 2500, "invoices_count": "3"},
        {"invoices_amount_in_cents": None, "invoices_count": 0},
    )
    assert column_type(table, "invoices_amount_in_cents") == pa.int64()
    assert column_type(table, "invoices_count") == pa.int64()
    assert table.column("invoices_count").to_pylist() == [3, 0]


def test_undeclared_at_lands_as_a_utc_timestamp() -> None:
    table = page({"first_invoice_at": "2024-09-20T12:32:55-07:00"}, {"first_invoice_at": None})
    assert column_type(table, "first_invoice_at") == pa.timestamp("us", tz="UTC")
    assert table.column("first_invoice_at").to_pylist()[0] == datetime(
        2024, 9, 20, 19, 32, 55, tzinfo=UTC
    )


def test_undeclared_is_lands_as_a_boolean() -> None:
    table = page({"is_member": True}, {"is_member": "false"}, {"is_member": None})
    assert column_type(table, "is_member") == pa.bool_()
    assert table.column("is_member").to_pylist() == [True, False, None]


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("visits_count", [2, 2.5]),  # not whole
        ("visits_count", [1, True]),  # a flag, not a count
        ("renewal_at", ["2024-01-01T00:00:00Z", "next spring"]),
        ("is_member", [True, "maybe"]),
        ("gift_in_cents", [{"amount": 5}, 100]),
    ],
)
def test_a_page_that_disagrees_with_the_name_keeps_text(key: str, values: list[Any]) -> None:
    table = page(*({key: value} for value in values))
    assert column_type(table, key) == pa.string()
    assert table.column(key).null_count == 0


def test_an_undeclared_column_null_on_the_whole_page_is_typed_by_its_name() -> None:
    table = page({"last_invoice_at": None, "auto_import_id": None})
    assert column_type(table, "last_invoice_at") == pa.timestamp("us", tz="UTC")
    assert column_type(table, "auto_import_id") == pa.string()


def test_other_undeclared_attributes_stay_text_and_nested_ones_json() -> None:
    table = page({"brand_new_field": "arrived", "nested": {"levels": [1, 2]}, "new_flag": True})
    assert column_type(table, "brand_new_field") == pa.string()
    assert table.column("nested").to_pylist() == ['{"levels":[1,2]}']
    assert table.column("new_flag").to_pylist() == ["true"]


def test_a_declared_integer_column_rejects_a_fraction_instead_of_truncating_it() -> None:
    columns = {"id": "id", "amount_in_cents": "int"}
    with pytest.raises(RecordError, match=r"column amount_in_cents: not an integer: 1\.5"):
        to_table([{"id": 1, "amount_in_cents": 1.5}], columns, arrow_schema(columns, ["id"]))


def test_action_network_sponsor_is_json_in_every_table_that_can_carry_it() -> None:
    pages = {
        name: columns
        for name, columns in vars(action_network_schemas).items()
        if name.isupper()
        and isinstance(columns, dict)
        and columns.items() >= action_network_schemas.ACTION_PAGE.items()
    }
    assert set(pages) >= {
        "PETITIONS",
        "EVENTS",
        "FORMS",
        "FUNDRAISING_PAGES",
        "ADVOCACY_CAMPAIGNS",
        "CAMPAIGNS",
    }
    for name, columns in pages.items():
        assert dlt_hints(columns, ["id"]).get("sponsor") == {"data_type": "json"}, name
