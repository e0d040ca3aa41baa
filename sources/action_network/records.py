"""OSDI records to flat rows and typed Arrow tables: ids, links, timestamps and money made plain."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from sources.action_network.settings import MODIFIED_FIELDS
from sources.tables import RecordError, arrow_schema, to_table

PREFIX = "action_network:"
Row = dict[str, Any]
RowMaker = Callable[[dict[str, Any]], Row]

# Links, embedded copies (a petition embeds its creator) and curies are navigation, not data.
_DROPPED = frozenset({"_links", "_embedded", "curies"})
# Both timestamp dialects land in the same columns; `from` is an SQL keyword.
_RENAMED = {
    "created_date": "created_at",
    "modified_date": "modified_at",
    "from": "from_name",
}


def prefixed(uuid: str) -> str:
    """The `action_network:<uuid>` form used for every id column."""
    return uuid if uuid.startswith(PREFIX) else PREFIX + uuid


def bare_uuid(an_id: str) -> str:
    """The uuid that URLs use (`/petitions/<uuid>`)."""
    return an_id.removeprefix(PREFIX)


def link_id(record: dict[str, Any], rel: str) -> str | None:
    """The linked resource's id, from the last path segment of `_links[rel].href`."""
    links = record.get("_links")
    link = links.get(rel) if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href.strip("/"):
        return None
    return prefixed(href.split("?")[0].rstrip("/").rsplit("/", 1)[-1])


def modified_field(record: dict[str, Any]) -> str | None:
    """Which dialect a record speaks: the OData name of its modification time, if it has one."""
    return next((name for name in MODIFIED_FIELDS if name in record), None)


def cents(value: Any) -> int | None:
    """A decimal amount ("20.01", or a JSON number) as exact integer cents; never via float."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"not an amount: {value!r}")
    try:
        scaled = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise RecordError(f"not an amount: {value!r}") from None
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise RecordError(f"not an amount in cents: {value!r}")
    return int(scaled)


def record_row(record: Any) -> Row:
    """The fields every record shares: `id`, identifiers, timestamps in one dialect.

    Namespaced fields lose their `action_network:` prefix (`action_network:hidden` -> `hidden`).
    """
    if not isinstance(record, dict):
        raise RecordError(f"not an object: {type(record).__name__}")
    identifiers = record.get("identifiers")
    if not identifiers or not isinstance(identifiers, list):
        raise RecordError("no identifiers")
    own = [i for i in identifiers if isinstance(i, str) and i.startswith(PREFIX)]
    if not own:
        raise RecordError(f"no {PREFIX}<uuid> among identifiers {identifiers!r}")
    row: Row = {}
    for key, value in record.items():
        if key not in _DROPPED:
            name = key.removeprefix(PREFIX)
            row[_RENAMED.get(name, name)] = value
    row["id"] = own[0]
    return row


def _primary(items: Any) -> dict[str, Any]:
    """The entry marked primary, else the first one, else an empty entry."""
    entries = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    marked = (item for item in entries if item.get("primary") is True)
    return next(marked, entries[0] if entries else {})


def person_row(record: dict[str, Any]) -> Row:
    """A person with the primary email, phone and address fields as plain columns."""
    row = record_row(record)
    address = _primary(row.get("postal_addresses"))
    row["primary_email"] = _primary(row.get("email_addresses")).get("address")
    row["primary_phone"] = _primary(row.get("phone_numbers")).get("number")
    for name in ("locality", "region", "postal_code", "country"):
        row[name] = address.get(name)
    return row


def page_row(record: dict[str, Any]) -> Row:
    """An action page (petition, event, form, ...) or any other collection without a person."""
    row = record_row(record)
    creator = link_id(record, "osdi:creator")
    if creator is not None:
        row["creator_id"] = creator
    if "total_amount" in row:  # fundraising pages print their total as a decimal string
        row["total_amount_cents"] = cents(row.pop("total_amount"))
    return row


def action_row(record: dict[str, Any], parent_key: str, parent_id: str) -> Row:
    """What a person did under one parent: `person_id` from the person link, the parent walked.

    The bare-uuid copies (`action_network:person_id`, ...) are replaced by prefixed ids; the
    person link wins because one documented example misspells the copy's key.
    """
    row = record_row(record)
    bare_person = row.get("person_id")
    person = link_id(record, "osdi:person")
    if person is None and isinstance(bare_person, str) and bare_person:
        person = prefixed(bare_person)
    row["person_id"] = person
    row[parent_key] = parent_id
    return row


def donation_row(record: dict[str, Any], parent_key: str, parent_id: str) -> Row:
    """A donation: `amount` as exact cents, `action_network:recurrence` as two plain columns."""
    row = action_row(record, parent_key, parent_id)
    row["amount_cents"] = cents(row.pop("amount", None))
    recurrence = row.pop("recurrence", None) or {}
    if not isinstance(recurrence, dict):
        raise RecordError(f"recurrence is not an object: {recurrence!r}")
    row["is_recurring"] = recurrence.get("recurring") is True
    row["recurrence_period"] = recurrence.get("period")
    return row


ChildRowMaker = Callable[[dict[str, Any], str, str], Row]
CHILD_ROWS: dict[str, ChildRowMaker] = {"donations": donation_row}


def child_row_maker(collection: str) -> ChildRowMaker:
    """How an action collection's records become rows (donations carry money)."""
    return CHILD_ROWS.get(collection, action_row)


class TableBuilder:
    """Turns one page of a collection's records into an Arrow table of its declared schema."""

    def __init__(self, columns: dict[str, str]) -> None:
        self.columns = columns
        self.schema = arrow_schema(columns, ("id",))

    def build(self, records: list[Any], make_row: RowMaker) -> pa.Table:
        rows = []
        for index, record in enumerate(records, 1):
            try:
                rows.append(make_row(record))
            except RecordError as exc:
                raise RecordError(f"record {index}: {exc}") from None
        return to_table(rows, self.columns, self.schema)
