"""The simulator's state: both populations, cached query views, mutations and the ground truth."""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from simulator import an_data, nb_data
from simulator.an_data import (
    ACTIONS,
    GroupData,
    build_group,
    make_action,
    make_person,
    next_gift,
    start_series,
)
from simulator.nb_data import NationData, add_donation, build_nation, make_signup
from simulator.persons import Person, assign_emails, build_universe
from simulator.settings import SimConfig

NB_RESOURCES = (
    "signups",
    "donations",
    "lists",
    "signup_tags",
    "signup_taggings",
    "events",
    "event_rsvps",
    "memberships",
    "petitions",
    "petition_signatures",
    "paths",
    "path_journeys",
)
NB_CASCADE = (
    "donations",
    "signup_taggings",
    "event_rsvps",
    "memberships",
    "petition_signatures",
    "path_journeys",
)
# Why a person may not be contacted, strongest first: the strictest record's answer wins.
STRENGTH = (
    "do_not_contact",
    "spam_complaint",
    "unsubscribed",
    "do_not_call",
    "bouncing",
    "bad_address",
    "bad_number",
    "not_opted_in",
    "not_subscribed",
    "ok",
)
# each channel, and the reason it is closed to a person none of whose records has an address
CHANNELS = {"email": "no_email", "text": "no_mobile", "call": "no_phone"}
ACTION_TYPES = {
    "signatures": "signature",
    "attendances": "attendance",
    "submissions": "submission",
    "donations": "donation",
    "outreaches": "outreach",
}


class Store:
    """Holds the data and answers queries through a small cache keyed by the data's version."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.people = build_universe(self.rng, config.nb_signups, config.an_people)
        self.nation: NationData = build_nation(
            self.rng, self.people, config.nb_donations, config.nb_lists
        )
        self.group: GroupData = build_group(self.rng, self.people, config.an_actions)
        self.version = 0
        self.clock = int(time.time())
        self._views: OrderedDict[Hashable, list[Any]] = OrderedDict()

    def view(self, key: Hashable, build: Callable[[], list[Any]]) -> list[Any]:
        """Cache query results (filtered, sorted rows) until the next mutation."""
        full_key = (self.version, key)
        if full_key in self._views:
            self._views.move_to_end(full_key)
            return self._views[full_key]
        rows = build()
        self._views[full_key] = rows
        if len(self._views) > 512:
            self._views.popitem(last=False)
        return rows

    def now(self) -> int:
        """A clock that always moves forward, so mutated rows sort after everything before them."""
        self.clock = max(int(time.time()), self.clock + 1)
        return self.clock

    # ---- mutations -------------------------------------------------------------------------
    def mutate(
        self, fraction: float = 0.05, delete_fraction: float | None = None
    ) -> dict[str, Any]:
        """Update, add and delete a share of records in both systems, as a day of activity would."""
        rng, when = self.rng, self.now()
        summary = {
            "nationbuilder": self._mutate_nation(
                rng, when, fraction, fraction / 50 if delete_fraction is None else delete_fraction
            ),
            "action_network": self._mutate_group(rng, when, fraction),
        }
        self.version += 1
        return summary

    def _new_person(self, rng: random.Random, in_nb: bool, in_an: bool) -> Person:
        key = len(self.people)
        first, last = (
            rng.choice(("Nova", "Élodie", "Tariq")),
            rng.choice(("Reyes", "Ångström", "Obi")),
        )
        person = Person(
            key,
            first,
            last,
            f"new.{first.lower()}{key}@example.org".replace("é", "e"),
            in_nb=in_nb,
            in_an=in_an,
        )
        assign_emails(rng, person)
        self.people.append(person)
        return person

    def _mutate_nation(
        self, rng: random.Random, when: int, fraction: float, delete_fraction: float
    ) -> dict[str, Any]:
        """A day in a nation: `fraction` of rows updated and as many added; `delete_fraction` of
        signups and donations deleted (NationBuilder deletions are rare: merges, GDPR requests)."""
        nation, out = self.nation, {}
        ids = list(nation.signups)
        k = max(1, int(len(ids) * fraction))
        for signup_id in rng.sample(ids, k=min(k, len(ids))):
            nation.signups[signup_id].update(updated_at=when, note=f"Updated {when} ✎")
            if rng.random() < 0.1:  # some unsubscribe today
                nation.signups[signup_id].update(unsubscribed_at=when, email_opt_in=False)
        for _ in range(k):
            signup_id = nation.new_id("signups")
            nation.signups[signup_id] = make_signup(
                rng, signup_id, self._new_person(rng, True, False), when
            )
            nation.signups[signup_id]["updated_at"] = when
        doomed = set(rng.sample(ids, k=max(1, round(len(ids) * delete_fraction))))
        self._delete_signups(doomed)
        out["signups"] = {"updated": k, "added": k, "deleted": len(doomed)}
        live = list(nation.signups)
        donation_ids = list(nation.donations)
        kd = max(1, int(len(donation_ids) * fraction))
        for donation_id in rng.sample(donation_ids, k=min(kd, len(donation_ids))):
            if donation_id in nation.donations:
                row = nation.donations[donation_id]  # a pending or failed one has no succeeded_at
                row.update(
                    status="succeeded", updated_at=when, succeeded_at=row["succeeded_at"] or when
                )
        for _ in range(kd):
            donation_id = add_donation(rng, nation, rng.choice(live))
            row = nation.donations[donation_id]
            succeeded = when if row["status"] == "succeeded" else None
            row.update(created_at=when, updated_at=when, succeeded_at=succeeded)
        gone = rng.sample(
            list(nation.donations), k=max(1, round(len(donation_ids) * delete_fraction))
        )
        for donation_id in gone:
            nation.donations.pop(donation_id)
            nation.deleted.setdefault("donations", []).append(donation_id)
        out["donations"] = {"updated": kd, "added": kd, "deleted": len(gone)}
        touched = rng.sample(list(nation.lists), k=min(2, len(nation.lists)))
        for list_id in touched:
            members = set(nation.list_members[list_id])
            members -= set(rng.sample(sorted(members), k=len(members) // 10))
            members |= set(rng.sample(live, k=min(len(live), 5)))
            nation.list_members[list_id] = sorted(members)
            nation.lists[list_id]["updated_at"] = when
        out["lists"] = {"updated": len(touched)}
        tagged = {(row["signup_id"], row["tag_id"]) for row in nation.signup_taggings.values()}
        added_taggings = 0
        for signup_id in rng.sample(live, k=min(k, len(live))):
            tag_id = rng.randint(1, 40)
            if (signup_id, tag_id) in tagged:
                continue  # a signup carries each tag once
            tagged.add((signup_id, tag_id))
            tagging_id = nation.new_id("signup_taggings")
            nation.signup_taggings[tagging_id] = {
                "id": tagging_id,
                "signup_id": signup_id,
                "tag_id": tag_id,
                "created_at": when,
            }
            added_taggings += 1
        out["signup_taggings"] = {"added": added_taggings}
        for resource in ("event_rsvps", "memberships", "petition_signatures", "path_journeys"):
            table = nation.collection(resource)
            for record_id in rng.sample(
                list(table), k=min(len(table), max(1, int(len(table) * fraction)))
            ):
                table[record_id]["updated_at"] = when
            out[resource] = {"updated": max(1, int(len(table) * fraction))}
        return out

    def _delete_signups(self, doomed: set[int]) -> None:
        """Delete people and, as NationBuilder does, everything that belongs to them."""
        nation = self.nation
        for signup_id in doomed:
            nation.signups.pop(signup_id, None)
        nation.deleted.setdefault("signups", []).extend(sorted(doomed))
        for resource in NB_CASCADE:
            table = nation.collection(resource)
            for record_id in [r for r, row in table.items() if row.get("signup_id") in doomed]:
                table.pop(record_id)
                nation.deleted.setdefault(resource, []).append(record_id)
        for list_id, members in nation.list_members.items():
            nation.list_members[list_id] = [m for m in members if m not in doomed]
        for row in nation.signups.values():
            if row["recruiter_id"] in doomed:
                row["recruiter_id"] = None

    def _mutate_group(self, rng: random.Random, when: int, fraction: float) -> dict[str, Any]:
        group, out = self.group, {}
        ids = list(group.people)
        k = max(1, int(len(ids) * fraction))
        for person_id in rng.sample(ids, k=min(k, len(ids))):
            person = group.people[person_id]
            person.update(modified=when, family_name=person["family_name"] + "-Ruiz")
            if rng.random() < 0.1 and person["email_addresses"]:  # some unsubscribe today
                person["email_addresses"][0]["status"] = "unsubscribed"
        for _ in range(k):
            record = make_person(rng, self._new_person(rng, False, True), when)
            record["modified"] = when
            group.people[record["id"]] = record
        out["people"] = {"updated": k, "added": k}
        person_ids = list(group.people)
        for action, (parent_kind, _share) in ACTIONS.items():
            table = group.collection(action)
            ka = max(1, int(len(table) * fraction))
            for record_id in rng.sample(list(table), k=min(ka, len(table))):
                table[record_id]["modified"] = when
            parents = list(group.collection(parent_kind).values())
            taken = {(r[parent_kind], r["person_id"]) for r in table.values()}
            added = 0
            for _ in range(ka):
                parent, person = rng.choice(parents), group.people[rng.choice(person_ids)]
                if (parent["id"], person["id"]) in taken:
                    continue
                taken.add((parent["id"], person["id"]))
                record = make_action(rng, action, parent, person)
                record.update(created=when, modified=when)
                table[record["id"]] = record
                added += 1
                if action == "donations" and record["period"]:
                    start_series(rng, group, record)
            out[action] = {"updated": ka, "added": added}
        donations = group.collection("donations")
        ongoing = [  # every recurring series that goes on gives again today (once)
            series
            for series in group.series.values()
            if series["goes_on"] and donations[series["last_id"]]["created"] < when
        ]
        for series in ongoing:
            series["last_id"] = next_gift(rng, group, donations[series["last_id"]], when)["id"]
        out["recurring_gifts"] = {"added": len(ongoing)}
        taggings = group.collection("taggings")
        for record_id in rng.sample(list(taggings), k=min(len(taggings), 3)):
            taggings.pop(record_id)
        return out

    # ---- ground truth ----------------------------------------------------------------------
    def truth(self) -> dict[str, Any]:
        """What a correct pipeline must have loaded: counts, ids and sums per resource."""
        nation, group = self.nation, self.group
        nb: dict[str, Any] = {}
        for resource in NB_RESOURCES:
            ids = sorted(nation.collection(resource))
            nb[resource] = {"count": len(ids), "ids": ids}
        nb["donations"]["sum_cents"] = sum(d["amount_in_cents"] for d in nation.donations.values())
        pairs = sorted(
            (lid, sid) for lid, members in nation.list_members.items() for sid in members
        )
        nb["list_signups"] = {"count": len(pairs), "pairs": pairs}
        nb["deleted"] = {resource: sorted(ids) for resource, ids in nation.deleted.items()}
        an: dict[str, Any] = {}
        for name in (
            "people",
            *ACTIONS,
            *{p for p, _ in ACTIONS.values()},
            "campaigns",
            "lists",
            "messages",
        ):
            uuids = sorted(f"action_network:{record_id}" for record_id in group.collection(name))
            an[name] = {"count": len(uuids), "ids": uuids}
        an["people"]["records"] = [person_truth(row) for row in group.people.values()]
        an["tags"]["members"] = self._tag_members()
        by_currency: dict[str, int] = {}
        for donation in group.collection("donations").values():
            currency = donation["currency"].upper()
            by_currency[currency] = by_currency.get(currency, 0) + donation["amount_cents"]
        an["donations"]["sum_cents"] = sum(by_currency.values())
        an["donations"]["sum_cents_by_currency"] = by_currency
        return {"nationbuilder": nb, "action_network": an, "analytics": self._analytics_truth()}

    def _tag_members(self) -> dict[str, list[str]]:
        """Each Action Network tag's name and the people it tags (what a write-back test reads)."""
        tags = self.group.collection("tags")
        members: dict[str, list[str]] = {tag["name"]: [] for tag in tags.values()}
        for row in self.group.collection("taggings").values():
            members[tags[row["tags"]]["name"]].append(f"action_network:{row['person_id']}")
        return {name: sorted(people) for name, people in members.items()}

    def _analytics_truth(self) -> dict[str, Any]:
        """People matched across systems by normalized email (connected components), what each
        person may be contacted by, tags, recurring gifts and totals, as the marts must say."""
        people = self._people()
        donations_nb = self.nation.donations.values()
        donations_an = self.group.collection("donations").values()
        actions = {ACTION_TYPES[a]: len(self.group.collection(a)) for a in ACTION_TYPES}
        actions["petition_signature"] = len(self.nation.petition_signatures)
        actions["event_rsvp"] = len(self.nation.event_rsvps)
        contactability = [self._contactability(records) for records in people]
        return {
            "people_total": len(people),
            "people_in_both": sum(
                1 for records in people if len({key.split(":")[0] for key in records}) == 2
            ),
            "donations_count": {
                "nationbuilder": len(donations_nb),
                "action_network": len(donations_an),
            },
            "donations_cents": {
                "nationbuilder": sum(d["amount_in_cents"] for d in donations_nb),
                "action_network": sum(d["amount_cents"] for d in donations_an),
            },
            "actions": actions,
            "contactable": {
                channel: sum(1 for person in contactability if person[f"can_{channel}"])
                for channel in CHANNELS
            },
            "contactability": contactability,
            **self._tags_truth(people),
            "recurring": self._recurring_truth(people),
        }

    def _people(self) -> list[list[str]]:
        """Each person's records (`nationbuilder:<id>`, `action_network:<uuid>`, as the marts key
        them), sorted: records sharing a normalized email, directly or through others, are one."""
        parent: dict[str, str] = {}

        def find(node: str) -> str:
            while parent.setdefault(node, node) != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        records = [
            (f"nationbuilder:{sid}", [row[f"email{i}"] for i in range(1, 5)])
            for sid, row in self.nation.signups.items()
        ]
        records += [
            (f"action_network:{pid}", [e["address"] for e in row["email_addresses"]])
            for pid, row in self.group.people.items()
        ]
        for node, emails in records:
            find(node)
            for email in emails:
                if email and email.strip():
                    parent[find(node)] = find("email:" + email.strip().lower())
        components: dict[str, list[str]] = {}
        for node, _emails in records:
            components.setdefault(find(node), []).append(node)
        return sorted(sorted(keys) for keys in components.values())

    def _verdicts(self, key: str) -> dict[str, str | None]:
        system, record_id = key.split(":", 1)
        if system == "nationbuilder":
            return nb_data.verdicts(self.nation.signups[int(record_id)])
        return an_data.verdicts(self.group.people[record_id])

    def _contactability(self, records: list[str]) -> dict[str, Any]:
        """Whether a person may be emailed, texted and called: the strictest record wins, and
        a channel none of their records has an address for is closed too (`no_email`, ...)."""
        person: dict[str, Any] = {"records": records}
        said = [(key.split(":")[0], self._verdicts(key)) for key in records]
        for channel, nothing in CHANNELS.items():
            verdicts = [(system, v[channel]) for system, v in said if v[channel] is not None]
            strongest = min((v for _, v in verdicts), key=STRENGTH.index, default=None)
            refusing = sorted({system for system, v in verdicts if v != "ok"})
            person[f"can_{channel}"] = strongest == "ok"
            person[f"{channel}_blocked_reason"] = (
                nothing if strongest is None else None if strongest == "ok" else strongest
            )
            person[f"{channel}_blocked_by"] = (
                "both" if len(refusing) == 2 else refusing[0] if refusing else None
            )
        return person

    def _tags_truth(self, people: list[list[str]]) -> dict[str, Any]:
        """Rows of `person_tags` per system (a person's tag counted once per system, whatever
        its case), and how many people carry a tag."""
        nation, group = self.nation, self.group
        tagged: dict[str, set[str]] = {}
        for row in nation.signup_taggings.values():
            name = nation.signup_tags[row["tag_id"]]["name"]
            tagged.setdefault(f"nationbuilder:{row['signup_id']}", set()).add(name)
        tags = group.collection("tags")
        for row in group.collection("taggings").values():
            tagged.setdefault(f"action_network:{row['person_id']}", set()).add(
                tags[row["tags"]]["name"]
            )
        rows = {"nationbuilder": 0, "action_network": 0}
        carrying = 0
        for records in people:
            for system in rows:
                names = {
                    name.strip().lower()
                    for key in records
                    if key.startswith(system)
                    for name in tagged.get(key, ())
                }
                rows[system] += len(names)
            carrying += any(key in tagged for key in records)
        return {"person_tags": rows, "tagged_people": carrying}

    def _recurring_truth(self, people: list[list[str]]) -> dict[str, Any]:
        """Recurring gifts: how many, and the series the marts make of them (one per person and
        period), by whether each lapsed as of the newest Action Network gift."""
        donations = list(self.group.collection("donations").values())
        person_of = {key: index for index, records in enumerate(people) for key in records}
        newest = max((d["created"] for d in donations), default=0)
        last_gifts: dict[tuple[int, str], int] = {}
        for donation in donations:
            if donation["period"]:
                series = (
                    person_of[f"action_network:{donation['person_id']}"],
                    donation["period"].strip().lower(),
                )
                last_gifts[series] = max(last_gifts.get(series, 0), donation["created"])
        by_status = {"active": 0, "lapsed": 0, "unknown_period": 0}
        monthly: dict[str, set[int]] = {"donors": set(), "lapsed": set()}
        for (person, period), last in last_gifts.items():
            lapsed = an_data.is_lapsed(last, period, newest)
            by_status["unknown_period" if lapsed is None else "lapsed" if lapsed else "active"] += 1
            if period == "monthly":
                monthly["donors"].add(person)
                if lapsed:
                    monthly["lapsed"].add(person)
        return {
            "donations": sum(1 for d in donations if d["period"]),
            "series_by_status": by_status,
            "monthly_donors": len(monthly["donors"]),
            "lapsed_monthly_donors": len(monthly["lapsed"]),
        }


def person_truth(row: dict[str, Any]) -> dict[str, Any]:
    """An Action Network person as a test checks it: names, addresses, numbers and statuses."""
    return {
        "id": f"action_network:{row['id']}",
        "given_name": row["given_name"],
        "family_name": row["family_name"],
        "email_addresses": [
            {"address": e["address"], "status": e.get("status"), "primary": e.get("primary")}
            for e in row["email_addresses"]
        ],
        "phone_numbers": [
            {"number": p.get("number"), "status": p.get("status")} for p in row["phone_numbers"]
        ],
        "postal_addresses": row["postal_addresses"],
    }


def cents_to_amount(cents: int) -> str:
    """Money as both APIs print it: a decimal string with two places ("25.00")."""
    return f"{cents // 100}.{cents % 100:02d}"
