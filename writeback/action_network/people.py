"""Action Network people: look one up by email or phone, and the person signup helper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sources.http import ApiClient, MalformedPageError
from writeback.action_network.tags import own_uuid

PEOPLE_PATH = "people"
RESOURCE = "an_people"
POSTAL_FIELDS = ("address_lines", "locality", "region", "postal_code", "country")


def email_key(address: str) -> str:
    """An address as Action Network compares it: trimmed, ignoring case."""
    return address.strip().lower()


def phone_key(number: str) -> str:
    """A phone number as Action Network compares it: its digits."""
    return "".join(ch for ch in number if ch.isdigit())


def _entries(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = record.get(key)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _primary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return next((e for e in entries if e.get("primary") is True), entries[0] if entries else {})


@dataclass(frozen=True)
class AnPerson:
    """What write-back compares a row with: names, each address's status, the phone number
    and its status (a person has one), and the fields of the primary postal address."""

    uuid: str
    given_name: str | None = None
    family_name: str | None = None
    emails: dict[str, str | None] = field(default_factory=dict)
    phone: str | None = None
    phone_status: str | None = None
    postal: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, record: Any, method: str, path: str) -> AnPerson:
        if not isinstance(record, dict):
            raise MalformedPageError("action_network", path, 1, "a person is not an object", method)
        emails = {
            email_key(str(e["address"])): e.get("status")
            for e in _entries(record, "email_addresses")
            if str(e.get("address") or "").strip()
        }
        phone = _primary(_entries(record, "phone_numbers"))
        postal = _primary(_entries(record, "postal_addresses"))
        return cls(
            uuid=own_uuid(record, method, path),
            given_name=record.get("given_name") or None,
            family_name=record.get("family_name") or None,
            emails=emails,
            phone=phone_key(str(phone.get("number") or "")) or None,
            phone_status=phone.get("status"),
            postal={k: postal[k] for k in POSTAL_FIELDS if postal.get(k) not in (None, "", [])},
        )


async def find_person(
    client: ApiClient, *, email: str | None = None, phone: str | None = None
) -> AnPerson | None:
    """The person holding this address (or, given none, this number), as the helper would
    match them; None when nobody does."""
    field_name, value = ("email_address", email) if email else ("phone_number", phone)
    if not value or "'" in value:
        raise ValueError(f"cannot look a person up by {value!r}")
    params: dict[str, str | int] = {"filter": f"{field_name} eq '{value}'", "per_page": 25}
    reply = await client.get_json(PEOPLE_PATH, params, resource=RESOURCE)
    embedded = reply.get("_embedded") if isinstance(reply, dict) else None
    found = embedded.get("osdi:people") if isinstance(embedded, dict) else None
    if not isinstance(found, list):
        problem = "no _embedded['osdi:people'] in the answer"
        raise MalformedPageError("action_network", PEOPLE_PATH, 1, problem)
    return AnPerson.parse(found[0], "GET", PEOPLE_PATH) if found else None


async def signup(client: ApiClient, person: dict[str, Any]) -> AnPerson:
    """Creates or updates a person through the person signup helper; the person it answers."""
    reply = await client.request_json(
        "POST", PEOPLE_PATH, json_body={"person": person}, resource=RESOURCE
    )
    return AnPerson.parse(reply, "POST", PEOPLE_PATH)
