"""`an-upsert-people`: create or update Action Network people from a segment's rows.

Who a row is: its `email` (or `primary_email`); a row without one, by its phone
(`mobile_number`, `phone_number` or `phone`), as the person signup helper matches people. A row
with neither (or only unusable ones), or naming someone an earlier row named, is skipped and
reported. Each person is looked up first, and only what differs from what Action Network holds
is sent, so a second run sends nothing.

The subscription rule. Whether a row may be emailed or texted is `can_email` / `can_text` of
`analytics.contactability`, read by the row's `person_id` (the segment's columns of those names
are not used); a row without a `person_id` the mart knows may be neither.
- A person new to Action Network is sent with an explicit status (given none, Action Network
  subscribes a new address): the address `subscribed` if can_email, else `unsubscribed`; the
  number `subscribed` if can_text, else `unsubscribed`. So are an address or a number added to
  someone who has none.
- An address or number Action Network already holds: `subscribed` is sent only if can_email
  (can_text) and Action Network holds no answer for it (no status, or none it gives meaning to);
  a status it holds (subscribed, unsubscribed, bouncing, spam complaint, ...) is never changed.
  Nobody is unsubscribed, and nobody who unsubscribed is resubscribed.
Other fields only fill what Action Network lacks: a name, the phone number (a person has one; a
different one stays), the empty fields of the primary postal address.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sources.http import ApiClient
from writeback.action_network import AnPerson, find_person, signup
from writeback.action_network.sending import run_logged, send_each
from writeback.connection import AnConnection
from writeback.logs import AN_UPSERTS, contactability, record_run, segment_rows
from writeback.rows import (
    EMAIL_COLUMNS,
    SHOWN,
    Skipped,
    clean_email,
    clean_phone,
    column,
    refusal,
    skipped_rows,
    summarize,
    text,
)
from writeback.segment import SEGMENTS_DIR, WritebackError, resolve_segment

COMMAND = "an-upsert-people"
PHONE_COLUMNS = ("mobile_number", "phone_number", "phone")
NAME_COLUMNS = {
    "given_name": ("first_name", "given_name"),
    "family_name": ("last_name", "family_name"),
}
POSTAL_COLUMNS = {
    "address_lines": ("address_lines", "address1"),
    "locality": ("locality", "city"),
    "region": ("region", "state"),
    "postal_code": ("postal_code", "zip"),
    "country": ("country", "country_code"),
}
PERSON_ID = "person_id"
SUBSCRIBED, UNSUBSCRIBED = "subscribed", "unsubscribed"


def status_verdict(status: str | None) -> str:
    """What an Action Network status says, by the marts' rule: "ok", a reason, or
    "not_subscribed" when it says nothing (none, or one it gives no meaning)."""
    said = (status or "").strip().lower()
    if said == SUBSCRIBED:
        return "ok"
    if "spam" in said:
        return "spam_complaint"
    if said == UNSUBSCRIBED:
        return "unsubscribed"
    return "bouncing" if "bounc" in said else "not_subscribed"


@dataclass(frozen=True)
class PersonRow:
    """One row as Action Network would get it, and what the mart says of contacting them."""

    row: int
    email: str | None = None
    phone: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    postal: dict[str, Any] = field(default_factory=dict)
    person_id: str | None = None
    can_email: bool = False
    can_text: bool = False

    @property
    def key(self) -> str:
        return self.email or self.phone or ""


@dataclass(frozen=True)
class Change:
    """The helper's `person` body for one row, and what it changes (for the summary)."""

    row: PersonRow
    person: dict[str, Any]
    creates: bool
    changes: tuple[str, ...]
    email_status: str | None = None
    phone_status: str | None = None


def _status(allowed: bool) -> str:
    return SUBSCRIBED if allowed else UNSUBSCRIBED


def _upgrade(allowed: bool, held: str | None) -> bool:
    """Subscribe an address or number Action Network holds only where it has no answer yet."""
    return allowed and status_verdict(held) == "not_subscribed"


def _email(address: str, status: str | None) -> list[dict[str, Any]]:
    return [{"address": address} | ({"status": status} if status else {})]


def _phone(number: str, status: str | None) -> list[dict[str, Any]]:
    return [{"number": number, "number_type": "Mobile"} | ({"status": status} if status else {})]


def plan(row: PersonRow, held: AnPerson | None) -> Change | None:
    """What to send for a row given what Action Network holds (None: nothing to change)."""
    return _create(row) if held is None else _update(row, held)


def _create(row: PersonRow) -> Change:
    person: dict[str, Any] = {**row.names}
    email_status = _status(row.can_email) if row.email else None
    phone_status = _status(row.can_text) if row.phone else None
    if row.email:
        person["email_addresses"] = _email(row.email, email_status)
    if row.phone:
        person["phone_numbers"] = _phone(row.phone, phone_status)
    if row.postal:
        person["postal_addresses"] = [row.postal]
    said = [f"email {email_status}"] if email_status else []
    said += [f"phone {phone_status}"] if phone_status else []
    return Change(row, person, True, tuple(said), email_status, phone_status)


def _update(row: PersonRow, held: AnPerson) -> Change | None:
    """Only what Action Network lacks, and a status only from none to subscribed."""
    email_status = phone_status = None
    if row.email and row.email in held.emails and _upgrade(row.can_email, held.emails[row.email]):
        email_status = SUBSCRIBED
    if row.phone and held.phone is None:
        phone_status = _status(row.can_text)
    elif row.phone and held.phone == row.phone and _upgrade(row.can_text, held.phone_status):
        phone_status = SUBSCRIBED
    names = {name: value for name, value in row.names.items() if not getattr(held, name)}
    postal = {k: v for k, v in row.postal.items() if k not in held.postal}
    said = [f"email {email_status}"] if email_status else []
    said += [f"phone {phone_status}"] if phone_status else []
    said += [*names, *postal]
    if not said:
        return None
    # The helper finds the person by the key they were looked up by: the address, else the number.
    person: dict[str, Any] = {**names}
    if row.email:
        person["email_addresses"] = _email(row.email, email_status)
    if row.phone and (phone_status or not row.email):
        person["phone_numbers"] = _phone(row.phone, phone_status)
    if postal:
        person["postal_addresses"] = [postal]
    return Change(row, person, False, tuple(said), email_status, phone_status)


@dataclass
class UpsertResult:
    """What an upsert did, or in a dry run would do; `render()` says it in one paragraph."""

    segment: str
    dry_run: bool
    rows: int
    columns: list[str]
    ignored_columns: list[str]
    has_contactability: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    email_subscribed: int = 0
    email_not_subscribed: int = 0
    text_subscribed: int = 0
    text_not_subscribed: int = 0
    sample: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def write_requests(self) -> int:
        return self.created + self.updated + len(self.failed)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "write_requests": self.write_requests}

    def count(self, change: Change) -> None:
        """Counts a change sent (or, in a dry run, one that would be)."""
        if change.creates:
            self.created += 1
        else:
            self.updated += 1
        for status, channel in ((change.email_status, "email"), (change.phone_status, "text")):
            if status:
                name = f"{channel}_{'subscribed' if status == SUBSCRIBED else 'not_subscribed'}"
                setattr(self, name, getattr(self, name) + 1)

    def render(self) -> str:
        statuses = (
            f"{self.email_subscribed} addresses subscribed and {self.email_not_subscribed}"
            f" added unsubscribed, {self.text_subscribed} phone numbers subscribed and"
            f" {self.text_not_subscribed} added unsubscribed"
        )
        if not self.write_requests:
            text = (
                f"Action Network already holds {self.segment}'s {self.unchanged} people as the"
                " rows say: nothing to send."
            )
        elif self.dry_run:
            text = (
                f"Dry run, nothing sent: {self.segment} ({self.rows} rows) would create"
                f" {self.created} and update {self.updated} Action Network people"
                f" ({self.unchanged} unchanged); {statuses} (e.g. {'; '.join(self.sample)})."
            )
        else:
            text = (
                f"Upserted {self.segment} ({self.rows} rows) into Action Network: created"
                f" {self.created}, updated {self.updated}, {self.unchanged} unchanged;"
                f" {statuses}. Logged in {AN_UPSERTS} (run {self.run_id})."
            )
        if not self.has_contactability:
            text += (
                f" The query has no {PERSON_ID} column, so no row's contactability is known:"
                " nobody is subscribed."
            )
        if self.ignored_columns:
            text += f" Columns not sent: {', '.join(self.ignored_columns)}."
        text += summarize(self.failed, "rows Action Network refused")
        return text + summarize(self.skipped, "rows skipped")


def read_rows(
    columns: list[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[PersonRow], list[Skipped], list[str]]:
    """The rows worth sending, the ones skipped, and the columns used."""
    email_index, phone_index = column(columns, EMAIL_COLUMNS), column(columns, PHONE_COLUMNS)
    if email_index is None and phone_index is None:
        raise WritebackError(
            f"the query returns {', '.join(columns)}: an-upsert-people needs an email"
            f" ({' or '.join(EMAIL_COLUMNS)}) or a phone ({', '.join(PHONE_COLUMNS)}) column"
        )
    names = {name: column(columns, spellings) for name, spellings in NAME_COLUMNS.items()}
    postal = {name: column(columns, spellings) for name, spellings in POSTAL_COLUMNS.items()}
    id_index = column(columns, (PERSON_ID,))
    used = [email_index, phone_index, id_index, *names.values(), *postal.values()]
    used_names = [columns[i] for i in sorted(i for i in used if i is not None)]
    kept: list[PersonRow] = []
    skipped: list[Skipped] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        email, email_problem = clean_email(text(row, email_index))
        phone, phone_problem = clean_phone(text(row, phone_index))
        key = email or (phone if email_problem is None else None)
        if key is None:
            shown = text(row, email_index) or text(row, phone_index)
            reason = email_problem or phone_problem or "no email or phone"
            skipped.append(Skipped(number, shown, reason))
            continue
        # A number-only row is matched by its number, so it must not be another row's either.
        twin = first_row.get(key) or (first_row.get(f"phone:{phone}") if not email else None)
        if twin is not None:
            skipped.append(Skipped(number, key, f"the same person as row {twin}"))
            continue
        first_row[key] = number
        if phone:
            first_row.setdefault(f"phone:{phone}", number)
        kept.append(
            PersonRow(
                number,
                email=email,
                phone=phone,
                names={n: v for n, i in names.items() if (v := text(row, i))},
                postal=_postal(row, postal),
                person_id=text(row, id_index),
            )
        )
    return kept, skipped, used_names


def _postal(row: Sequence[Any], indexes: dict[str, int | None]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, index in indexes.items():
        value = row[index] if index is not None else None
        if name == "address_lines" and isinstance(value, list | tuple):
            lines = [str(line).strip() for line in value if str(line or "").strip()]
            if lines:
                fields[name] = lines
        elif (cell := text(row, index)) is not None:
            fields[name] = [cell] if name == "address_lines" else cell
    return fields


def upsert_people(
    warehouse: Path,
    query: str,
    *,
    dry_run: bool,
    connection: AnConnection | None = None,
    segments_dir: Path = SEGMENTS_DIR,
) -> UpsertResult:
    """Runs the segment, reads each row's contactability, looks each person up in Action
    Network and sends the rows that change something. A dry run only reads."""
    segment = resolve_segment(query, segments_dir)
    columns, rows = segment_rows(warehouse, segment)
    people, skipped, used = read_rows(columns, rows)
    has_ids = column(columns, (PERSON_ID,)) is not None
    if has_ids:
        known = contactability(warehouse, [p.person_id for p in people if p.person_id])
        people = [_contactable(person, known) for person in people]
    ignored = [name for name in columns if name not in used]
    result = UpsertResult(segment.label, dry_run, len(rows), used, ignored, has_ids)
    result.skipped = skipped
    an = connection or AnConnection.from_config()
    run_logged(
        an.client,
        lambda client: _sync(client, result, people),
        lambda error: _log(warehouse, result, segment.name, segment.sql, error),
        dry_run=dry_run,
    )
    return result


def _contactable(person: PersonRow, known: dict[str, tuple[bool, bool]]) -> PersonRow:
    can_email, can_text = known.get(person.person_id or "", (False, False))
    return replace(person, can_email=can_email, can_text=can_text)


async def _sync(client: ApiClient, result: UpsertResult, people: list[PersonRow]) -> None:
    held: dict[int, AnPerson | None] = {}

    async def look_up(person: PersonRow) -> None:
        held[person.row] = await find_person(client, email=person.email, phone=person.phone)

    refused = await send_each(people, look_up)
    result.skipped.extend(
        Skipped(person.row, person.key, refusal(exc, "the look-up")) for person, exc in refused
    )
    changes: list[Change] = []
    for person in people:
        if person.row not in held:
            continue
        change = plan(person, held[person.row])
        if change is None:
            result.unchanged += 1
        else:
            changes.append(change)
    result.sample = [_line(change) for change in changes[:SHOWN]]
    if result.dry_run:
        for change in changes:
            result.count(change)
        return

    async def send(change: Change) -> None:
        await signup(client, change.person)
        result.count(change)

    refused_changes = await send_each(changes, send)
    result.failed = [
        Skipped(change.row.row, change.row.key, refusal(exc, "it"), "refused")
        for change, exc in refused_changes
    ]
    result.skipped.sort(key=lambda entry: entry.row)
    result.failed.sort(key=lambda entry: entry.row)


def _line(change: Change) -> str:
    what = "create" if change.creates else "update"
    return f"row {change.row.row} {change.row.key}: {what} ({', '.join(change.changes)})"


def _log(
    warehouse: Path, result: UpsertResult, name: str | None, sql: str, error: str | None
) -> None:
    row = {
        "run_id": result.run_id,
        "upserted_at": datetime.now(UTC),
        "status": "failed" if error else "done",
        "error": error,
        "segment": name,
        "query": sql,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "email_subscribed": result.email_subscribed,
        "email_not_subscribed": result.email_not_subscribed,
        "text_subscribed": result.text_subscribed,
        "text_not_subscribed": result.text_not_subscribed,
        "skipped": len(result.skipped),
        "failed": len(result.failed),
    }
    record_run(
        warehouse,
        AN_UPSERTS,
        row,
        skipped_rows(result.run_id, COMMAND, result.skipped, result.failed),
    )
