"""Action Network write routes: the person signup helper, tags, and taggings (create, delete).

The rules, as the simulator keeps them:
- `POST /people` (the person signup helper) matches an existing person by the posted email
  addresses (trimmed, ignoring case), or, when it posts none, by the phone number (its digits); it
  updates that person or creates one, applies `add_tags` (names of tags the group has, matched
  ignoring case; others are ignored, as OSDI's helper takes "previously created tags") and
  `remove_tags`, and answers with the person. A posted name or postal field replaces the one
  held. A status (`subscribed` or `unsubscribed`) given with an address or number is set; none
  given leaves an address or number already held as it is, and a new one gets the default
  below. A person keeps one phone number: a posted other number replaces it.
- `POST /tags` creates a tag; a name the group already has (ignoring case) answers with that tag.
- `POST /tags/{id}/taggings` tags the person its `_links["osdi:person"]` names; a person holds
  a tag once, so tagging again answers with the tagging already there.
- `DELETE /tags/{id}/taggings/{tagging_id}` removes one tagging.
The guards in front (API key, 4 requests/s, faults, counters) are the read routes' own.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from simulator.an_api import an_error, api_base, contact_keys, email_key, phone_key, render
from simulator.an_data import new_uuid
from simulator.appkeys import STORE
from simulator.store import Store

HAL = "application/hal+json"
STATUSES = ("subscribed", "unsubscribed")  # what the API lets a caller set
# An address or number the post brings without a status: a new email address joins the
# group's list (as adding an activist does), a new phone number is not opted in to texts.
DEFAULT_STATUS = {"email_addresses": "subscribed", "phone_numbers": "unsubscribed"}
POSTAL_FIELDS = ("address_lines", "locality", "region", "postal_code", "country", "language")


class BadBody(Exception):
    """A request body the API answers with 400."""


def hal(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type=HAL)


async def read_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadBody("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadBody("The request body must be a JSON object")
    return body


def tag_names(body: dict[str, Any], key: str) -> list[str]:
    names = body.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BadBody(f"{key} must be a list of tag names")
    return names


def contact_entries(person: dict[str, Any], key: str, value_key: str) -> list[dict[str, Any]]:
    """The posted addresses or numbers that carry a value, each with a status the API allows."""
    entries = person.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadBody(f"person.{key} must be a list of objects")
    kept = [e for e in entries if str(e.get(value_key) or "").strip()]
    for entry in kept:
        if entry.get("status") not in (None, *STATUSES):
            raise BadBody(f"person.{key}[].status must be one of {', '.join(STATUSES)}")
    return kept


def find_person(store: Store, emails: list[str], phones: list[str]) -> dict[str, Any] | None:
    """The first person holding one of the addresses; without any, one of the numbers."""
    kind, wanted = ("email", set(emails)) if emails else ("phone", set(phones))
    people = store.group.people.values()
    return next((person for person in people if contact_keys(person, kind) & wanted), None)


def new_person(store: Store) -> dict[str, Any]:
    when = store.now()
    return {
        "id": new_uuid(store.rng),
        "given_name": None,
        "family_name": None,
        "email_addresses": [],
        "phone_numbers": [],
        "postal_addresses": [],
        "languages_spoken": [],
        "custom_fields": {},
        "created": when,
        "modified": when,
    }


def merge_names(person: dict[str, Any], posted: dict[str, Any]) -> bool:
    changed = False
    for name in ("given_name", "family_name"):
        value = posted.get(name)
        if isinstance(value, str) and value.strip() and value != person.get(name):
            person[name] = value
            changed = True
    return changed


def merge_emails(person: dict[str, Any], posted: list[dict[str, Any]]) -> bool:
    changed = False
    held = person["email_addresses"]
    for entry in posted:
        status, key = entry.get("status"), email_key(entry["address"])
        match = next((e for e in held if email_key(e["address"]) == key), None)
        if match is None:
            held.append(
                {
                    "primary": not held,
                    "address": str(entry["address"]).strip(),
                    "status": status or DEFAULT_STATUS["email_addresses"],
                }
            )
            changed = True
        elif status and status != match.get("status"):
            match["status"] = status
            changed = True
    return changed


def merge_phone(person: dict[str, Any], posted: list[dict[str, Any]]) -> bool:
    """A person keeps one number: the first posted one is theirs from now on."""
    if not posted:
        return False
    entry, held = posted[0], person["phone_numbers"]
    status = entry.get("status")
    current = held[0] if held else None
    if current is not None and phone_key(current.get("number")) == phone_key(entry["number"]):
        if status and status != current.get("status"):
            current["status"] = status
            return True
        return False
    person["phone_numbers"] = [
        {
            "primary": True,
            "number": phone_key(entry["number"]),
            "number_type": entry.get("number_type") or "Mobile",
            "status": status or DEFAULT_STATUS["phone_numbers"],
        }
    ]
    return True


def merge_postal(person: dict[str, Any], posted: Any) -> bool:
    """The first posted address's fields go into the person's primary address."""
    if not isinstance(posted, list) or not posted or not isinstance(posted[0], dict):
        return False
    fields = {k: v for k, v in posted[0].items() if k in POSTAL_FIELDS and v not in (None, "", [])}
    if not fields:
        return False
    held = person["postal_addresses"]
    if not held:
        held.append({"primary": True})
    primary = next((a for a in held if a.get("primary")), held[0])
    if all(primary.get(k) == v for k, v in fields.items()):
        return False
    primary.update(fields)
    return True


def find_tag(store: Store, name: str) -> dict[str, Any] | None:
    key = name.strip().lower()
    tags = store.group.collection("tags").values()
    return next((t for t in tags if t["name"].strip().lower() == key), None)


def tagging_of(store: Store, tag_id: str, person_id: str) -> dict[str, Any] | None:
    taggings = store.group.collection("taggings").values()
    return next((t for t in taggings if (t["tags"], t["person_id"]) == (tag_id, person_id)), None)


def add_tagging(store: Store, tag_id: str, person_id: str) -> tuple[dict[str, Any], bool]:
    """The person's tagging with this tag, made if new; and whether it was made."""
    existing = tagging_of(store, tag_id, person_id)
    if existing is not None:
        return existing, False
    when = store.now()
    record: dict[str, Any] = {
        "id": new_uuid(store.rng),
        "tags": tag_id,
        "person_id": person_id,
        "created": when,
        "modified": when,
    }
    store.group.collection("taggings")[record["id"]] = record
    return record, True


def apply_tags(store: Store, person_id: str, add: list[str], remove: list[str]) -> bool:
    changed = False
    for name in add:
        tag = find_tag(store, name)
        if tag is not None:
            changed |= add_tagging(store, tag["id"], person_id)[1]
    taggings = store.group.collection("taggings")
    for name in remove:
        tag = find_tag(store, name)
        existing = None if tag is None else tagging_of(store, tag["id"], person_id)
        if existing is not None:
            del taggings[existing["id"]]
            changed = True
    return changed


async def signup_helper(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    try:
        body = await read_body(request)
        posted = body.get("person")
        if not isinstance(posted, dict):
            raise BadBody("person is required")
        emails = contact_entries(posted, "email_addresses", "address")
        phones = contact_entries(posted, "phone_numbers", "number")
        add, remove = tag_names(body, "add_tags"), tag_names(body, "remove_tags")
    except BadBody as exc:
        return an_error(400, str(exc))
    if not emails and not phones:
        return an_error(400, "A person needs an email address or a phone number")
    person = find_person(
        store, [email_key(e["address"]) for e in emails], [phone_key(p["number"]) for p in phones]
    )
    created = person is None
    if person is None:
        person = new_person(store)
        store.group.people[person["id"]] = person
    changed = merge_names(person, posted)
    changed |= merge_emails(person, emails)
    changed |= merge_phone(person, phones)
    changed |= merge_postal(person, posted.get("postal_addresses"))
    tagged = apply_tags(store, person["id"], add, remove)
    if changed and not created:
        person["modified"] = store.now()
    if created or changed or tagged:
        store.version += 1
    return hal(render(store, api_base(request), "people", person))


async def create_tag(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    try:
        name = (await read_body(request)).get("name")
    except BadBody as exc:
        return an_error(400, str(exc))
    if not isinstance(name, str) or not name.strip():
        return an_error(400, "A tag needs a name")
    tag = find_tag(store, name)
    if tag is None:
        when = store.now()
        tag = {"id": new_uuid(store.rng), "created": when, "modified": when, "name": name.strip()}
        store.group.collection("tags")[tag["id"]] = tag
        store.version += 1
    return hal(render(store, api_base(request), "tags", tag))


async def create_tagging(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    tag_id = request.match_info["tag_id"]
    if tag_id not in store.group.collection("tags"):
        return an_error(404, "Couldn't find tag")
    try:
        links = (await read_body(request)).get("_links")
    except BadBody as exc:
        return an_error(400, str(exc))
    link = links.get("osdi:person") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href.strip("/"):
        return an_error(400, "A tagging needs _links['osdi:person'].href")
    person_id = href.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    if person_id not in store.group.people:
        return an_error(404, f"Couldn't find person with id = {person_id}")
    tagging, made = add_tagging(store, tag_id, person_id)
    if made:
        store.version += 1
    return hal(render(store, api_base(request), "taggings", tagging))


async def delete_tagging(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    taggings = store.group.collection("taggings")
    tagging = taggings.get(request.match_info["tagging_id"])
    if tagging is None or tagging["tags"] != request.match_info["tag_id"]:
        return an_error(404, "Couldn't find tagging")
    del taggings[tagging["id"]]
    store.version += 1
    return hal({"notice": "This tagging was successfully deleted."})


def add_write_routes(app: web.Application) -> None:
    app.router.add_post("/api/v2/people", signup_helper)
    app.router.add_post("/api/v2/tags", create_tag)
    app.router.add_post("/api/v2/tags/{tag_id}/taggings", create_tagging)
    app.router.add_delete("/api/v2/tags/{tag_id}/taggings/{tagging_id}", delete_tagging)
