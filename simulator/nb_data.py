"""NationBuilder's records as the simulator keeps them: compact dicts, rendered on demand."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from simulator.persons import Person

EPOCH_START = 1_672_531_200  # 2023-01-01T00:00:00Z
EPOCH_END = 1_759_276_800  # 2025-10-01T00:00:00Z
COLORS = ("red", "green", "blue", None, "violet")
CHAPTERS = ("Portland", "Tucson", "Minneapolis", "Montréal", "São Paulo", None)
PAYMENT_TYPES = ("Credit Card", "Check", "Cash", "ACH")
STATUSES = ("succeeded",) * 18 + ("pending", "failed")
LIST_KINDS = ("Donors", "Volunteers", "Canvass Ω", "New voters")
LONG_NOTE = "Met at the rally — wants to canvass. 🚪✊ " * 60
# The contact flags the marts read: the first 2**6 signups hold every combination of them, the
# rest have each one set with a realistic share.
CONSENT_SHARES = {
    "email_opt_in": 0.7,
    "mobile_opt_in": 0.45,
    "do_not_call": 0.06,
    "do_not_contact": 0.03,
    "email_is_bad": 0.04,
    "unsubscribed": 0.08,
}
CONSENT_COMBINATIONS = 2 ** len(CONSENT_SHARES)
# Tags 1..SHARED_TAGS are named as Action Network's "Volunteer <n>" (in another case), so a tag
# can be asked for across both systems.
SHARED_TAGS = 10


def random_time(rng: random.Random, start: int = EPOCH_START, end: int = EPOCH_END) -> int:
    return rng.randint(start, end)


@dataclass
class NationData:
    """Every NationBuilder collection, keyed by integer id; list members kept as id lists."""

    signups: dict[int, dict[str, Any]] = field(default_factory=dict)
    donations: dict[int, dict[str, Any]] = field(default_factory=dict)
    lists: dict[int, dict[str, Any]] = field(default_factory=dict)
    list_members: dict[int, list[int]] = field(default_factory=dict)
    signup_tags: dict[int, dict[str, Any]] = field(default_factory=dict)
    signup_taggings: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    event_rsvps: dict[int, dict[str, Any]] = field(default_factory=dict)
    memberships: dict[int, dict[str, Any]] = field(default_factory=dict)
    petitions: dict[int, dict[str, Any]] = field(default_factory=dict)
    petition_signatures: dict[int, dict[str, Any]] = field(default_factory=dict)
    paths: dict[int, dict[str, Any]] = field(default_factory=dict)
    path_journeys: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: dict[str, list[int]] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)
    # v1 people imports by id (not an API collection, so not part of the truth)
    imports: dict[int, dict[str, Any]] = field(default_factory=dict)

    def new_id(self, resource: str) -> int:
        value = self.next_ids.get(resource) or max(self.collection(resource), default=0) + 1
        self.next_ids[resource] = value + 1
        return value

    def collection(self, resource: str) -> dict[int, dict[str, Any]]:
        table: dict[int, dict[str, Any]] = getattr(self, resource)
        return table


def make_signup(rng: random.Random, signup_id: int, person: Person, when: int) -> dict[str, Any]:
    emails = person.nb_emails
    slot = person.nb_primary_slot
    every_flag = signup_id <= CONSENT_COMBINATIONS  # these have phones, so every flag matters
    return {
        "id": signup_id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "middle_name": rng.choice((None, None, "Octavia", "J.")),
        "email": emails[slot - 1],
        "email1": emails[0],
        "email2": emails[1],
        "email3": emails[2],
        "email4": emails[3],
        "primary_email_id": slot if emails[slot - 1] else None,
        "phone_number": (
            f"503555{rng.randint(0, 9999):04d}" if every_flag or rng.random() < 0.6 else None
        ),
        "mobile_number": (
            f"971555{rng.randint(0, 9999):04d}" if every_flag or rng.random() < 0.5 else None
        ),
        "is_volunteer": rng.random() < 0.3,
        "is_supporter": rng.random() < 0.8,
        "support_level": rng.choice((None, 1, 2, 3, 4, 5)),
        "born_at": f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "recruiter_id": None,
        "external_id": f"crm-{signup_id}" if rng.random() < 0.3 else None,
        "note": LONG_NOTE if rng.random() < 0.01 else rng.choice((None, "Good talk", "Ça va ✓")),
        "sex": rng.choice(("M", "F", "O", None)),
        "employer": rng.choice((None, "NationBuilder", "City of Tucson", "Self")),
        "custom_values": {"chapter": rng.choice(CHAPTERS), "favorite_color": rng.choice(COLORS)},
        **consent(rng, signup_id, person, when),
        "created_at": when,
        "updated_at": rng.randint(when, max(when, EPOCH_END)),
    }


def consent(rng: random.Random, signup_id: int, person: Person, when: int) -> dict[str, Any]:
    """A signup's contact flags: opt-ins, do-not-call/contact, a bad or bouncing primary address
    (`email<slot>_is_bad`), a bad mobile, an unsubscribe time. A flag on an address that is not
    the primary one is set too now and then: it must not stop anyone being emailed."""
    if signup_id <= CONSENT_COMBINATIONS:
        flags = {name: bool((signup_id - 1) >> bit & 1) for bit, name in enumerate(CONSENT_SHARES)}
    else:
        flags = {name: rng.random() < share for name, share in CONSENT_SHARES.items()}
    slot = person.nb_primary_slot
    fields: dict[str, Any] = {
        "email_opt_in": flags["email_opt_in"],
        "mobile_opt_in": flags["mobile_opt_in"],
        "do_not_call": flags["do_not_call"],
        "do_not_contact": flags["do_not_contact"],
        f"email{slot}_is_bad": flags["email_is_bad"],
        f"email{slot}_is_bouncing": rng.random() < 0.03,
        "is_mobile_bad": rng.random() < 0.02,
        "unsubscribed_at": rng.randint(when, max(when, EPOCH_END))
        if flags["unsubscribed"]
        else None,
    }
    other = next((n for n in range(1, 5) if n != slot and person.nb_emails[n - 1]), None)
    if other is not None:
        fields[f"email{other}_is_bad"] = rng.random() < 0.3
    return fields


def verdicts(signup: dict[str, Any]) -> dict[str, str | None]:
    """What a signup says about emailing, texting and calling its person: "ok", why not, or None
    when it has no address for that channel (then it says nothing). The rules the marts follow:
    do_not_contact stops everything; an unsubscribe time, a bouncing or bad primary address or no
    email opt-in stop email; a bad mobile or no mobile opt-in stop texts; do_not_call stops calls.
    """
    slot = signup.get("primary_email_id") or 1
    if signup.get("do_not_contact"):
        email: str | None = "do_not_contact"
    elif signup.get("unsubscribed_at") is not None:
        email = "unsubscribed"
    elif not (signup.get("email") or "").strip():
        email = None
    elif signup.get(f"email{slot}_is_bouncing"):
        email = "bouncing"
    elif signup.get(f"email{slot}_is_bad"):
        email = "bad_address"
    else:
        email = "ok" if signup.get("email_opt_in") else "not_opted_in"
    mobile = (signup.get("mobile_number") or "").strip()
    phone = (signup.get("phone_number") or "").strip()
    if signup.get("do_not_contact"):
        text: str | None = "do_not_contact"
    elif not mobile:
        text = None
    elif signup.get("is_mobile_bad"):
        text = "bad_number"
    else:
        text = "ok" if signup.get("mobile_opt_in") else "not_opted_in"
    if signup.get("do_not_contact"):
        call: str | None = "do_not_contact"
    elif not (mobile or phone):
        call = None
    else:
        call = "do_not_call" if signup.get("do_not_call") else "ok"
    return {"email": email, "text": text, "call": call}


def build_nation(
    rng: random.Random, people: list[Person], n_donations: int, n_lists: int
) -> NationData:
    """Generate a nation whose sizes follow the settings and whose links all point at real rows."""
    nation = NationData()
    nb_people = [p for p in people if p.in_nb]
    for signup_id, person in enumerate(nb_people, start=1):
        nation.signups[signup_id] = make_signup(rng, signup_id, person, random_time(rng))
    ids = list(nation.signups)
    for signup_id in rng.sample(ids, k=len(ids) // 5):
        nation.signups[signup_id]["recruiter_id"] = rng.choice(ids)
    for _ in range(n_donations):
        add_donation(rng, nation, rng.choice(ids))
    for list_id in range(1, n_lists + 1):
        size = (
            0
            if list_id == 1
            else min(len(ids), int(len(ids) * rng.choice((0.01, 0.03, 0.08, 0.2))))
        )
        nation.lists[list_id] = {
            "id": list_id,
            "name": f"List {list_id}: {rng.choice(LIST_KINDS)}",
            "slug": f"list_{list_id}",
            "description": rng.choice((None, "Built from a filter", "Imported — 2024")),
            "author_id": rng.choice(ids),
            "created_at": (created := random_time(rng)),
            "updated_at": rng.randint(created, EPOCH_END),
        }
        nation.list_members[list_id] = sorted(rng.sample(ids, k=size))
    build_engagement(rng, nation, ids)
    return nation


def add_donation(rng: random.Random, nation: NationData, signup_id: int) -> int:
    donation_id = nation.new_id("donations")
    donor = nation.signups[signup_id]
    created = random_time(rng, min(max(donor["created_at"], EPOCH_START), EPOCH_END))
    cents = rng.choice((500, 1000, 2500, 5000, 10000)) + rng.randint(0, 99) * rng.choice((0, 1))
    status = rng.choice(STATUSES)
    nation.donations[donation_id] = {
        "id": donation_id,
        "signup_id": signup_id,
        "amount_in_cents": cents,
        "status": status,
        "page_id": rng.randint(1, 12),
        "payment_type_name": rng.choice(PAYMENT_TYPES),
        "is_private": rng.random() < 0.05,
        "email": donor["email"],
        "first_name": donor["first_name"],
        "last_name": donor["last_name"],
        "note": rng.choice((None, "In memory of Grandma ❤")),
        "succeeded_at": created + 5 if status == "succeeded" else None,
        "created_at": created,
        "updated_at": created + 5,
        "custom_values": {},
    }
    return donation_id


def build_engagement(rng: random.Random, nation: NationData, ids: list[int]) -> None:
    """Tags, events, memberships, petitions and paths: the cheap rest of v2."""
    n = len(ids)
    for tag_id in range(1, 41):
        nation.signup_tags[tag_id] = {
            "id": tag_id,
            "name": (
                f"volunteer {tag_id}"
                if tag_id <= SHARED_TAGS
                else f"tag-{tag_id}-{rng.choice(('ñ', 'vol', 'x'))}"
            ),
        }
    pairs = {(rng.choice(ids), rng.randint(1, 40)) for _ in range(int(n * 0.8))}
    for signup_id, tag_id in sorted(pairs):
        tagging_id = nation.new_id("signup_taggings")
        nation.signup_taggings[tagging_id] = {
            "id": tagging_id,
            "signup_id": signup_id,
            "tag_id": tag_id,
            "created_at": random_time(rng),
        }
    for event_id in range(1, 21):
        nation.events[event_id] = {
            "id": event_id,
            "page_id": 100 + event_id,
            "venue_name": f"Hall {event_id}",
            "start_at": random_time(rng),
            "duration": rng.choice((3600, 7200)),
            "capacity_count": rng.choice((None, 50, 200)),
        }
    for _ in range(int(n * 0.2)):
        rsvp_id = nation.new_id("event_rsvps")
        signup = nation.signups[rng.choice(ids)]
        created = random_time(rng)
        nation.event_rsvps[rsvp_id] = {
            "id": rsvp_id,
            "event_id": rng.randint(1, 20),
            "signup_id": signup["id"],
            "email": signup["email"],
            "first_name": signup["first_name"],
            "last_name": signup["last_name"],
            "guests_count": rng.choice((0, 0, 1, 2)),
            "attendee": rng.random() < 0.6,
            "canceled": rng.random() < 0.1,
            "created_at": created,
            "updated_at": created + rng.randint(0, 86400),
        }
    for _ in range(int(n * 0.1)):
        membership_id = nation.new_id("memberships")
        created = random_time(rng)
        nation.memberships[membership_id] = {
            "id": membership_id,
            "signup_id": rng.choice(ids),
            "membership_type_id": rng.randint(1, 3),
            "status": rng.choice(("active", "canceled", "expired", "grace period")),
            "started_at": created,
            "created_at": created,
            "updated_at": created + 60,
        }
    for petition_id in range(1, 11):
        nation.petitions[petition_id] = {
            "id": petition_id,
            "page_id": 200 + petition_id,
            "intro": f"Petition {petition_id}: fund the libraries",
            "goal": rng.choice((100, 1000)),
        }
    pairs = {(rng.choice(ids), rng.randint(1, 10)) for _ in range(int(n * 0.5))}
    for signup_id, petition_id in sorted(pairs):
        signature_id = nation.new_id("petition_signatures")
        created = random_time(rng)
        nation.petition_signatures[signature_id] = {
            "id": signature_id,
            "petition_id": petition_id,
            "signup_id": signup_id,
            "comment": rng.choice((None, "Yes!", "¡Sí se puede!")),
            "is_private": False,
            "created_at": created,
            "updated_at": created,
        }
    for path_id in range(1, 6):
        created = random_time(rng)
        nation.paths[path_id] = {
            "id": path_id,
            "name": f"Path {path_id}",
            "default_value_amount": "3.50",
            "created_at": created,
            "updated_at": created,
        }
    for _ in range(int(n * 0.1)):
        journey_id = nation.new_id("path_journeys")
        created = random_time(rng)
        nation.path_journeys[journey_id] = {
            "id": journey_id,
            "path_id": rng.randint(1, 5),
            "signup_id": rng.choice(ids),
            "journey_status": rng.choice(("active", "completed", "abandoned")),
            "created_at": created,
            "updated_at": created + 3600,
        }
