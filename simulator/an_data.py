"""Action Network's records as the simulator keeps them: uuids, parents, each action's person."""

from __future__ import annotations

import calendar
import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.nb_data import EPOCH_END, EPOCH_START, random_time
from simulator.persons import Person

# action collection -> (parent collection, share of all action records)
ACTIONS: dict[str, tuple[str, float]] = {
    "signatures": ("petitions", 0.35),
    "attendances": ("events", 0.15),
    "submissions": ("forms", 0.15),
    "donations": ("fundraising_pages", 0.15),
    "outreaches": ("advocacy_campaigns", 0.10),
    "taggings": ("tags", 0.10),
}
PARENTS = ("petitions", "events", "forms", "fundraising_pages", "advocacy_campaigns", "tags")
STANDALONE = ("campaigns", "lists", "messages")
# Subscription statuses (open strings in the API): with their share among people past the first
# ones, which hold every pairing of an email status with a phone status (None: no phone).
EMAIL_STATUSES = {
    "subscribed": 0.74,
    "unsubscribed": 0.12,
    "bouncing": 0.07,
    "spam complaint": 0.04,
    "previous bounce": 0.03,
}
PHONE_STATUSES = {"subscribed": 0.24, "unsubscribed": 0.1, "bouncing": 0.02, "": 0.04, None: 0.6}
STATUS_PAIRS = list(itertools.product(EMAIL_STATUSES, PHONE_STATUSES))
# Recurring donations: the API's period labels (one localized, as seen live) and how far apart
# the gifts of a series are, in months or days; a localized label the marts cannot read.
RECURRING_SHARE = 0.1
PERIODS = {"Monthly": 0.6, "Weekly": 0.1, "Every 3 Months": 0.1, "Yearly": 0.1, "Mensual": 0.1}
PERIOD_STEPS = {
    "weekly": ("days", 7),
    "monthly": ("months", 1),
    "every 3 months": ("months", 3),
    "yearly": ("months", 12),
}
LAPSE_GRACE = timedelta(days=7)


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class GroupData:
    """Every Action Network collection keyed by uuid, in creation order (the order AN pages in)."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # recurring series by their first donation's uuid (not an API collection): whether it goes on
    series: dict[str, dict[str, Any]] = field(default_factory=dict)

    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        if name == "people":
            return self.people
        return self.collections.setdefault(name, {})

    def children(self, action: str, parent_id: str, key: str | None = None) -> list[dict[str, Any]]:
        """An action's records under one parent (or, with key="person_id", one person)."""
        parent_key = key or ACTIONS[action][0]
        return [r for r in self.collection(action).values() if r[parent_key] == parent_id]


def make_person(
    rng: random.Random, person: Person, when: int, index: int | None = None
) -> dict[str, Any]:
    """An Action Network person; the `index`-th of the first ones holds one pairing of statuses."""
    if index is not None and index < len(STATUS_PAIRS):
        email_status, phone_status = STATUS_PAIRS[index]
    else:
        email_status, phone_status = pick(rng, EMAIL_STATUSES), pick(rng, PHONE_STATUSES)
    return {
        "id": new_uuid(rng),
        "given_name": person.first_name,
        "family_name": person.last_name,
        "email_addresses": [
            {
                "primary": primary,
                "address": address,
                # the primary address carries the pairing; another one a status of its own
                "status": email_status if primary else pick(rng, EMAIL_STATUSES),
            }
            for address, primary in person.an_emails
        ],
        "phone_numbers": (
            []
            if phone_status is None
            else [
                {
                    "primary": True,
                    "number": f"1520555{rng.randint(0, 9999):04d}",
                    "number_type": "Mobile",
                    "status": phone_status or None,
                }
            ]
        ),
        "postal_addresses": [
            {
                "primary": True,
                "address_lines": [f"{rng.randint(1, 999)} Main St"],
                "locality": rng.choice(("Tucson", "Montréal", "Duluth")),
                "region": rng.choice(("AZ", "QC", "MN")),
                "postal_code": f"{rng.randint(10000, 99999)}",
                "country": rng.choice(("US", "CA")),
                "language": "en",
                "location": {"latitude": 32.2, "longitude": -110.9, "accuracy": "Approximate"},
            }
        ],
        "languages_spoken": [rng.choice(("en", "es", "fr"))],
        "custom_fields": {"volunteer_interest": "canvassing"} if rng.random() < 0.3 else {},
        "created": when,
        "modified": rng.randint(when, max(when, EPOCH_END)),
    }


def pick(rng: random.Random, shares: dict[Any, float]) -> Any:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def status_verdict(status: str | None) -> str:
    """What an email or phone status means for contacting that address ("ok" or why not)."""
    text = (status or "").strip().lower()
    if text == "subscribed":
        return "ok"
    if "spam" in text:
        return "spam_complaint"
    if text == "unsubscribed":
        return "unsubscribed"
    return "bouncing" if "bounc" in text else "not_subscribed"


def _primary(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((e for e in entries if e.get("primary") is True), entries[0] if entries else None)


def verdicts(person: dict[str, Any]) -> dict[str, str | None]:
    """What a person record says about emailing, texting and calling them: "ok", why not, or
    None without an address for the channel. Email and texts follow the primary address's and
    the primary phone's status; Action Network keeps no calling preference, so a number is one
    to call."""
    address = _primary(person["email_addresses"])
    phone = _primary(person["phone_numbers"])
    has_address = address is not None and (address.get("address") or "").strip()
    has_number = phone is not None and (phone.get("number") or "").strip()
    return {
        "email": status_verdict(address.get("status")) if address and has_address else None,
        "text": status_verdict(phone.get("status")) if phone and has_number else None,
        "call": "ok" if has_number else None,
    }


def period_step(period: str | None) -> tuple[str, int] | None:
    """How far apart a period's gifts are, or None for a label the marts cannot read."""
    return PERIOD_STEPS.get((period or "").strip().lower())


def after(epoch: int, step: tuple[str, int]) -> int:
    """`epoch` one step later, months kept to the calendar (Jan 31 + 1 month = Feb 28/29)."""
    unit, count = step
    moment = datetime.fromtimestamp(epoch, UTC)
    if unit == "days":
        return int((moment + timedelta(days=count)).timestamp())
    month = moment.month - 1 + count
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def is_lapsed(last_gift: int, period: str | None, newest: int) -> bool | None:
    """The marts' rule: a series lapsed when the newest gift its system holds is more than a
    week past the gift that should have followed its last one; unknown for an unread period."""
    step = period_step(period)
    if step is None:
        return None
    return newest > after(last_gift, step) + LAPSE_GRACE.total_seconds()


def make_parent(rng: random.Random, kind: str, index: int) -> dict[str, Any]:
    created = random_time(rng)
    record: dict[str, Any] = {
        "id": new_uuid(rng),
        "created": created,
        "modified": rng.randint(created, EPOCH_END),
        "title": f"{kind.replace('_', ' ').title()} {index}: Fund the libraries ✊",
        "origin_system": "Action Network",
    }
    if kind == "fundraising_pages":
        record["currency"] = "CAD" if index % 4 == 3 else "USD"
    if kind == "tags":
        record = {
            "id": record["id"],
            "created": created,
            "modified": created,
            "name": f"Volunteer {index}",
        }
    if kind == "messages":
        record.update(
            subject=f"Update #{index}", status="sent", total_targeted=rng.randint(100, 5000)
        )
    return record


def make_action(
    rng: random.Random, action: str, parent: dict[str, Any], person: dict[str, Any]
) -> dict[str, Any]:
    created = rng.randint(
        min(max(person["created"], parent["created"], EPOCH_START), EPOCH_END), EPOCH_END
    )
    parent_key = ACTIONS[action][0]
    record: dict[str, Any] = {
        "id": new_uuid(rng),
        parent_key: parent["id"],
        "person_id": person["id"],
        "created": created,
        "modified": created,
    }
    if action == "donations":
        cents = rng.choice((500, 1000, 2001, 3500, 10000))
        currency = parent.get("currency", "USD")
        record.update(
            amount_cents=cents,
            currency=currency.lower() if rng.random() < 0.1 else currency,
            period=pick(rng, PERIODS) if rng.random() < RECURRING_SHARE else None,
        )
    elif action == "signatures":
        record["comments"] = rng.choice((None, "Fund the libraries.", "Ünïcödé ✓"))
    elif action == "attendances":
        record["status"] = "accepted"
    elif action == "outreaches":
        record.update(type="email", subject="Please act")
    return record


def start_series(rng: random.Random, group: GroupData, first: dict[str, Any]) -> None:
    """A recurring donation's series: the gifts that followed it, one period apart, while the
    series goes on (most do, to the end of the generated history; the rest stop after a few)."""
    goes_on = rng.random() < 0.7
    gifts = 10_000 if goes_on else rng.randint(0, 5)
    step = period_step(first["period"]) or PERIOD_STEPS["monthly"]  # "Mensual" is monthly
    last = first
    for _ in range(gifts):
        when = after(last["created"], step)
        if when > EPOCH_END:
            break
        last = next_gift(rng, group, last, when)
    group.series[first["id"]] = {"last_id": last["id"], "goes_on": goes_on}


def next_gift(
    rng: random.Random, group: GroupData, previous: dict[str, Any], when: int
) -> dict[str, Any]:
    """The next gift of a recurring series: a new donation like the previous one, at `when`."""
    record = {**previous, "id": new_uuid(rng), "created": when, "modified": when}
    group.collection("donations")[record["id"]] = record
    return record


def build_group(rng: random.Random, people: list[Person], n_actions: int) -> GroupData:
    """Generate a group: people, parents, and actions that each link one person and one parent."""
    group = GroupData()
    for index, person in enumerate(p for p in people if p.in_an):
        record = make_person(rng, person, random_time(rng), index)
        group.people[record["id"]] = record
    scale = max(3, n_actions // 1500)
    for kind in PARENTS + STANDALONE:
        count = 15 if kind == "tags" else 5 if kind in STANDALONE else scale
        for index in range(1, count + 1):
            record = make_parent(rng, kind, index)
            group.collection(kind)[record["id"]] = record
    person_ids = list(group.people)
    for action, (parent_kind, share) in ACTIONS.items():
        parents = list(group.collection(parent_kind).values())
        seen: set[tuple[str, str]] = set()
        for _ in range(int(n_actions * share)):
            parent, person_id = rng.choice(parents), rng.choice(person_ids)
            if action in ("signatures", "taggings") and (parent["id"], person_id) in seen:
                continue  # one signature per person per petition; one tagging per person per tag
            seen.add((parent["id"], person_id))
            record = make_action(rng, action, parent, group.people[person_id])
            group.collection(action)[record["id"]] = record
            if action == "donations" and record["period"]:
                start_series(rng, group, record)
    return group
