"""Action Network routes: OSDI HAL+JSON collections, nested action collections, OData filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from simulator.an_data import ACTIONS, PARENTS, STANDALONE
from simulator.appkeys import PREFIX, STORE
from simulator.store import Store, cents_to_amount

SINGULAR = {
    "petitions": "petition",
    "events": "event",
    "forms": "form",
    "fundraising_pages": "fundraising_page",
    "advocacy_campaigns": "advocacy_campaign",
    "tags": "tag",
    "people": "person",
}
NAMESPACE = {"campaigns": "action_network"}
CLAUSE_RE = re.compile(r"^\s*(\w+)\s+(eq|gt|lt)\s+'([^']*)'\s*$")
TOP_LEVEL = ("people", *PARENTS, *STANDALONE)
# People are found by any of their addresses or numbers (how the signup helper matches them).
CONTACT_FILTERS = {"email_address": "email", "phone_number": "phone"}


class BadFilter(Exception):
    """An OData filter the API rejects with 400."""


def an_error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps({"error": message}), content_type="application/hal+json"
    )


def api_base(request: web.Request) -> str:
    """The API's root URL as this request reached it: what links and hrefs are built from."""
    return f"{request.scheme}://{request.host}{request.app[PREFIX]}/api/v2"


def email_key(address: Any) -> str:
    """An address as the API compares it: trimmed, ignoring case."""
    return str(address or "").strip().lower()


def phone_key(number: Any) -> str:
    """A phone number as the API compares it: its digits."""
    return "".join(ch for ch in str(number or "") if ch.isdigit())


def contact_keys(person: dict[str, Any], kind: str) -> set[str]:
    """A person's addresses (`email`) or numbers (`phone`), as the API compares them."""
    if kind == "email":
        return {email_key(e.get("address")) for e in person["email_addresses"]} - {""}
    return {phone_key(p.get("number")) for p in person["phone_numbers"]} - {""}


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_names(store: Store) -> tuple[str, str]:
    """The live API says created_date/modified_date; the doc copy says created_at/modified_at."""
    return (
        ("created_at", "modified_at")
        if store.config.an_timestamps == "doc"
        else ("created_date", "modified_date")
    )


def parse_filter(
    store: Store, raw: str | None, collection: str = "people"
) -> list[tuple[str, str, Any]]:
    if raw is None:
        return []
    created, modified = time_names(store)
    clauses: list[tuple[str, str, Any]] = []
    for part in re.split(r"\s+and\s+", raw):
        match = CLAUSE_RE.match(part)
        if not match:
            raise BadFilter(f"Invalid filter: {raw}")
        field, op, value = match.groups()
        if field in (created, modified):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise BadFilter(f"Invalid date in filter: {value}") from exc
            when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
            clauses.append(("created" if field == created else "modified", op, when))
        elif field == "identifier" and op == "eq":
            clauses.append(("id", op, value.removeprefix("action_network:")))
        elif field in CONTACT_FILTERS and op == "eq" and collection == "people":
            kind = CONTACT_FILTERS[field]
            clauses.append((kind, op, email_key(value) if kind == "email" else phone_key(value)))
        else:
            raise BadFilter(f"Invalid filter field: {field}")
    return clauses


def keep(row: dict[str, Any], clauses: list[tuple[str, str, Any]]) -> bool:
    for field, op, value in clauses:
        if field in CONTACT_FILTERS.values():
            if value not in contact_keys(row, field):
                return False
            continue
        have = row[field]
        if not (
            (op == "eq" and have == value)
            or (op == "gt" and have > value)
            or (op == "lt" and have < value)
        ):
            return False
    return True


def links_for(base: str, collection: str, row: dict[str, Any]) -> dict[str, Any]:
    links: dict[str, Any] = {"self": {"href": f"{base}/{collection}/{row['id']}"}}
    if collection == "people":
        for rel in (
            "signatures",
            "attendances",
            "submissions",
            "donations",
            "outreaches",
            "taggings",
        ):
            links[f"osdi:{rel}"] = {"href": f"{base}/people/{row['id']}/{rel}"}
    elif collection in ACTIONS:
        parent = ACTIONS[collection][0]
        links["osdi:person"] = {"href": f"{base}/people/{row['person_id']}"}
        links[f"osdi:{SINGULAR[parent]}"] = {"href": f"{base}/{parent}/{row[parent]}"}
    elif collection in PARENTS:
        child = next(a for a, (p, _) in ACTIONS.items() if p == collection)
        links[f"osdi:{child}"] = {"href": f"{base}/{collection}/{row['id']}/{child}"}
    return links


def render(store: Store, base: str, collection: str, row: dict[str, Any]) -> dict[str, Any]:
    """A record as OSDI prints it: identifiers, dialect timestamps, links, AN's bare-uuid copies."""
    created, modified = time_names(store)
    out: dict[str, Any] = {
        "identifiers": [f"action_network:{row['id']}"],
        created: iso(row["created"]),
        modified: iso(row["modified"]),
    }
    skip = {"id", "created", "modified", "person_id", "amount_cents", "period"}
    if collection in ACTIONS:
        parent = ACTIONS[collection][0]
        skip.add(parent)
        if collection != "taggings":  # taggings carry no id fields: only links
            out["action_network:person_id"] = row["person_id"]
            out[f"action_network:{SINGULAR[parent]}_id"] = row[parent]
        else:
            out["item_type"] = "osdi:person"
    out.update({k: v for k, v in row.items() if k not in skip})
    if collection == "donations":
        amount = cents_to_amount(row["amount_cents"])
        out.update(
            amount=amount,
            recipients=[{"display_name": "Tucson Tenants Union", "amount": amount}],
            payment={
                "method": "Credit Card",
                "reference_number": f"ch_{row['id'][:8]}",
                "authorization_stored": False,
            },
        )
        if row["period"]:
            out["action_network:recurrence"] = {"recurring": True, "period": row["period"]}
    if collection == "people" and row["id"][0] in "0123":
        out["identifiers"].append(f"foreign_system:{row['id'][:6]}")
    out["_links"] = links_for(base, collection, row)
    return out


def embedded_key(collection: str) -> str:
    return f"{NAMESPACE.get(collection, 'osdi')}:{collection}"


def collection_page(
    request: web.Request, store: Store, collection: str, key: Any, source: list[dict[str, Any]]
) -> web.Response:
    try:
        clauses = parse_filter(store, request.query.get("filter"), collection)
        page = max(1, int(request.query.get("page", 1)))
        per_page = max(1, min(25, int(request.query.get("per_page", 25))))
    except (BadFilter, ValueError) as exc:
        return an_error(400, str(exc))
    rows = store.view((key, tuple(clauses)), lambda: [r for r in source if keep(r, clauses)])
    chunk = rows[(page - 1) * per_page : page * per_page]
    base = api_base(request)
    url = f"{base}{request.path.removeprefix(request.app[PREFIX] + '/api/v2')}"

    def href(n: int) -> str:
        return f"{url}?{urlencode({**request.query, 'page': str(n)})}"

    records = [render(store, base, collection, r) for r in chunk]
    total_pages = max(1, -(-len(rows) // per_page))
    links: dict[str, Any] = {"self": {"href": href(page)}}
    body: dict[str, Any] = {"per_page": per_page, "page": page}
    if collection == "people":
        if chunk:  # live quirk: next is linked from the last non-empty page too
            links["next"] = {"href": href(page + 1)}
    else:
        body.update(total_pages=total_pages, total_records=len(rows))
        if page < total_pages:
            links["next"] = {"href": href(page + 1)}
    if page > 1:
        links["prev"] = {"href": href(page - 1)}
    link_key = "osdi:attendance" if collection == "attendances" else embedded_key(collection)
    links[link_key] = [{"href": r["_links"]["self"]["href"]} for r in records]
    links["curies"] = [
        {"name": "osdi", "href": "https://actionnetwork.org/docs/v2/{rel}", "templated": True}
    ]
    body["_links"] = links
    body["_embedded"] = {embedded_key(collection): records}
    return web.Response(body=orjson.dumps(body), content_type="application/hal+json")


async def entry_point(request: web.Request) -> web.Response:
    base = api_base(request)
    links = {embedded_key(c): {"href": f"{base}/{c}"} for c in TOP_LEVEL}
    links["self"] = {"href": f"{base}/"}
    return web.json_response({"motd": "Welcome to the Action Network simulator", "_links": links})


async def top_level(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    collection = request.match_info["collection"]
    if collection not in TOP_LEVEL:
        return an_error(404, "Not found")
    source = list(store.group.collection(collection).values())
    return collection_page(request, store, collection, ("an", collection), source)


async def nested(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    parent_kind, parent_id, action = (
        request.match_info[k] for k in ("parent", "parent_id", "action")
    )
    by_person = parent_kind == "people"  # /people/{id}/signatures etc., as person links say
    if (
        action not in ACTIONS
        or (ACTIONS[action][0] != parent_kind and not by_person)
        or parent_id not in store.group.collection(parent_kind)
    ):
        return an_error(404, "Not found")
    key = "person_id" if by_person else ACTIONS[action][0]
    source = store.view(
        ("an-children", action, key, parent_id),
        lambda: store.group.children(action, parent_id, key),
    )
    return collection_page(request, store, action, ("an", action, key, parent_id), source)


async def show(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    collection, record_id = request.match_info["collection"], request.match_info["record_id"]
    known = collection in TOP_LEVEL or collection in ACTIONS  # actions' self links resolve too
    row = store.group.collection(collection).get(record_id) if known else None
    if row is None:
        return an_error(404, "Not found")
    return web.Response(
        body=orjson.dumps(render(store, api_base(request), collection, row)),
        content_type="application/hal+json",
    )


def add_routes(app: web.Application) -> None:
    # Imported here: the write routes reuse this module's rendering, so it must be loaded first.
    from simulator.an_write_api import add_write_routes

    app.router.add_get("/api/v2/", entry_point)
    app.router.add_get("/api/v2", entry_point)
    app.router.add_get("/api/v2/{collection}", top_level)
    app.router.add_get("/api/v2/{collection}/{record_id}", show)
    app.router.add_get("/api/v2/{parent}/{parent_id}/{action}", nested)
    add_write_routes(app)
