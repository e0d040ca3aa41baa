"""Action Network's records as the simulator keeps them: uuids, parents, each action's person."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
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


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class GroupData:
    """Every Action Network collection keyed by uuid, in creation order (the order AN pages in)."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        if name == "people":
            return self.people
        return self.collections.setdefault(name, {})

    def children(self, action: str, parent_id: str, key: str | None = None) -> list[dict[str, Any]]:
        """An action's records under one parent (or, with key="person_id", one person)."""
        parent_key = key or ACTIONS[action][0]
        return [r for r in self.collection(action).values() if r[parent_key] == parent_id]


def make_person(rng: random.Random, person: Person, when: int) -> dict[str, Any]:
    return {
        "id": new_uuid(rng),
        "given_name": person.first_name,
        "family_name": person.last_name,
        "email_addresses": [
            {
                "primary": primary,
                "address": address,
                "status": rng.choice(("subscribed",) * 4 + ("unsubscribed", "bouncing")),
            }
            for address, primary in person.an_emails
        ],
        "phone_numbers": (
            [
                {
                    "primary": True,
                    "number": f"1520555{rng.randint(0, 9999):04d}",
                    "number_type": "Mobile",
                    "status": "subscribed",
                }
            ]
            if rng.random() < 0.4
            else []
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
            recurring=rng.random() < 0.2,
        )
    elif action == "signatures":
        record["comments"] = rng.choice((None, "Fund the libraries.", "Ünïcödé ✓"))
    elif action == "attendances":
        record["status"] = "accepted"
    elif action == "outreaches":
        record.update(type="email", subject="Please act")
    return record


def build_group(rng: random.Random, people: list[Person], n_actions: int) -> GroupData:
    """Generate a group: people, parents, and actions that each link one person and one parent."""
    group = GroupData()
    for person in (p for p in people if p.in_an):
        record = make_person(rng, person, random_time(rng))
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
    return group
