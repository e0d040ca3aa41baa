"""NationBuilder routes: v2 JSON:API collections, v1 lists with nonce/token paging, OAuth."""

from __future__ import annotations

import base64
import hashlib
import hmac
import operator
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import web

from simulator.appkeys import AUTH, PREFIX, STORE
from simulator.nb_render import TIMESTAMP_FIELDS, resource_object, v1_list, v1_person
from simulator.store import NB_RESOURCES, Store

FILTER_RE = re.compile(r"^filter\[(\w+)\](?:\[(\w+)\])?$")
OPS = {"eq", "not_eq", "gt", "gte", "lt", "lte"}
COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
SORTS = {"id", "updated_at", "created_at"}
V1_SECRET = b"simulator-v1-paging"


class BadRequest(Exception):
    """A request the live API answers with 400; carries the documented code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def nb_error(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps({"code": code, "message": message}),
        content_type="application/json",
    )


def json_response(payload: Any, content_type: str = "application/vnd.api+json") -> web.Response:
    return web.Response(body=orjson.dumps(payload), content_type=content_type)


def parse_value(attr: str, raw: str, example: Any = None) -> Any:
    """Turn a filter value into what rows hold: epoch seconds for times, ints for ids.

    `example` is a non-null value of the attribute from the data: booleans and numbers are
    compared as such (so `filter[email_opt_in]=true` and `filter[amount_in_cents][gte]=500` work).
    """
    if raw == "null":
        return None
    if attr in TIMESTAMP_FIELDS:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError as exc:
            raise BadRequest(
                "invalid_filter_value", f"Invalid value for filter {attr}: {raw}"
            ) from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    try:
        if attr == "id" or type(example) is int or (example is None and attr.endswith("_id")):
            return int(raw)  # ids and numbers; string ids such as external_id stay strings
        if isinstance(example, bool):
            return {"true": True, "false": False}[raw.lower()]
        if isinstance(example, float):
            return float(raw)
    except (KeyError, ValueError) as exc:
        raise BadRequest("invalid_filter_value", f"Invalid value for filter {attr}: {raw}") from exc
    return raw


def example_value(rows: list[dict[str, Any]], attr: str) -> Any:
    """The first non-null value of an attribute, which tells a filter value's type."""
    return next((row[attr] for row in rows if row.get(attr) is not None), None)


def matches(value: Any, op: str, wanted: Any) -> bool:
    if op == "eq":
        return bool(value in wanted) if isinstance(wanted, tuple) else bool(value == wanted)
    if op == "not_eq":
        return bool(value != wanted)
    if value is None or wanted is None:
        return False
    try:
        return bool(COMPARE[op](value, wanted))
    except TypeError:  # e.g. an object attribute against a string: no match, not a 500
        return False


def parse_query(query: Any, resource: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Validate JSON:API parameters the way the live API does: unknown ones are a 400."""
    sample = rows[0] if rows else None
    filters: list[tuple[str, str, Any]] = []
    fields: set[str] | None = None
    sort = "id"
    for key, raw in query.items():
        if match := FILTER_RE.match(key):
            attr, op = match.group(1), match.group(2) or "eq"
            if op not in OPS:
                raise BadRequest("invalid_filter_operator", f"Invalid filter operator: {op}")
            if sample is not None and attr not in sample and attr != "id":
                raise BadRequest("invalid_filter", f"Invalid filter: {attr}")
            example = example_value(rows, attr)
            if op == "eq" and "," in raw:
                values = tuple(parse_value(attr, v, example) for v in raw.split(","))
                filters.append((attr, op, values))
            else:
                filters.append((attr, op, parse_value(attr, raw, example)))
        elif key == "sort":
            if raw.lstrip("-") not in SORTS:
                raise BadRequest("invalid_sort", f"Invalid sort: {raw}")
            sort = raw
        elif key == f"fields[{resource}]":
            fields = set(raw.split(",")) if raw else set()
        elif key == "include":
            raise BadRequest("invalid_include", f"Invalid include: {raw}")
        elif key not in (
            "page[size]",
            "page[number]",
            "stats[total]",
            "access_token",
        ) and not key.startswith("fields["):
            raise BadRequest("invalid_parameter", f"Invalid parameter: {key}")
    try:
        size = max(1, min(100, int(query.get("page[size]", 20))))
        number = max(1, int(query.get("page[number]", 1)))
    except ValueError as exc:
        raise BadRequest("invalid_page", "Invalid page parameter") from exc
    return {
        "filters": filters,
        "fields": fields,
        "sort": sort,
        "size": size,
        "number": number,
        "count": query.get("stats[total]") == "count",
    }


def select(
    store: Store, key: Any, rows: list[dict[str, Any]], spec: dict[str, Any]
) -> list[dict[str, Any]]:
    def build() -> list[dict[str, Any]]:
        kept = [r for r in rows if all(matches(r.get(a), op, v) for a, op, v in spec["filters"])]
        attr = spec["sort"].lstrip("-")
        kept.sort(
            key=lambda r: (r.get(attr) is None, r.get(attr) or 0, r["id"]),
            reverse=spec["sort"].startswith("-"),
        )
        return kept

    return store.view((key, tuple(map(repr, spec["filters"])), spec["sort"]), build)


def page_response(
    request: web.Request, resource: str, rows: list[dict[str, Any]], spec: dict[str, Any]
) -> web.Response:
    size, number = spec["size"], spec["number"]
    chunk = rows[(number - 1) * size : number * size]
    path = request.path.removeprefix(request.app[PREFIX])
    params = {k: v for k, v in request.query.items() if k not in ("page[number]", "access_token")}

    def link(n: int) -> str:
        pairs = {**params, "page[number]": str(n)}.items()
        query = "&".join(f"{k}={quote(v, safe=':,-')}" for k, v in pairs)
        return f"{path}?{query}"

    links: dict[str, Any] = {"self": link(number), "prev": link(number - 1) if number > 1 else None}
    if chunk:
        links["next"] = link(
            number + 1
        )  # present whenever rows came back, even if the next page is empty
    meta: dict[str, Any] = {}
    if spec["count"]:
        meta["stats"] = {"total": {"count": len(rows)}}
    data = [resource_object(resource, row, spec["fields"]) for row in chunk]
    return json_response({"data": data, "links": links, "meta": meta})


def lists_rows(store: Store) -> list[dict[str, Any]]:
    nation = store.nation
    return [
        {**row, "signups_count": len(nation.list_members.get(lid, []))}
        for lid, row in nation.lists.items()
    ]


async def v2_index(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    resource = request.match_info["resource"]
    if resource not in NB_RESOURCES:
        return nb_error(404, "not_found", "Record not found")
    rows = (
        lists_rows(store)
        if resource == "lists"
        else list(store.nation.collection(resource).values())
    )
    try:
        spec = parse_query(request.query, resource, rows)
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    return page_response(request, resource, select(store, ("nb", resource), rows, spec), spec)


async def v2_list_signups(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    try:
        list_id = int(request.match_info["list_id"])
    except ValueError:
        return nb_error(404, "not_found", "Record not found")
    if list_id not in store.nation.lists:
        return nb_error(404, "not_found", "Record not found")
    signups = store.nation.signups
    rows = [signups[sid] for sid in store.nation.list_members[list_id] if sid in signups]
    try:
        spec = parse_query(request.query, "signups", rows)
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    return page_response(request, "signups", select(store, ("nb-list", list_id), rows, spec), spec)


async def v2_show(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    resource = request.match_info["resource"]
    table = store.nation.collection(resource) if resource in NB_RESOURCES else {}
    try:
        row = table.get(int(request.match_info["record_id"]))
    except ValueError:
        row = None
    if row is None:
        return nb_error(404, "not_found", "Record not found")
    return json_response({"data": resource_object(resource, row, None), "meta": {}})


def sign(payload: str) -> str:
    return hmac.new(V1_SECRET, payload.encode(), hashlib.sha256).hexdigest()[:16]


def v1_page(
    request: web.Request, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """Offset paging hidden behind an opaque, signed __token, as v1 does it."""
    token = request.query.get("__token")
    if token:
        try:
            payload = base64.urlsafe_b64decode(token.encode()).decode()
            offset_s, limit_s, signature = payload.split(":")
            if not hmac.compare_digest(signature, sign(f"{offset_s}:{limit_s}")):
                raise ValueError("bad signature")
            offset, limit = int(offset_s), int(limit_s)
        except ValueError as exc:
            raise BadRequest("invalid_pagination_token", "Invalid pagination token") from exc
    else:
        offset = 0
        try:
            limit = max(1, min(100, int(request.query.get("limit", 10))))
        except ValueError as exc:
            raise BadRequest("invalid_limit", "Invalid limit") from exc
    chunk = rows[offset : offset + limit]
    if offset + limit >= len(rows):
        return chunk, None
    next_token = base64.urlsafe_b64encode(
        f"{offset + limit}:{limit}:{sign(f'{offset + limit}:{limit}')}".encode()
    )
    path = request.path.removeprefix(request.app[PREFIX])
    return chunk, f"{path}?__nonce={secrets.token_urlsafe(16)}&__token={next_token.decode()}"


async def v1_lists(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    rows = store.view(
        ("v1-lists",), lambda: [v1_list(r, r["signups_count"]) for r in lists_rows(store)]
    )
    try:
        chunk, next_path = v1_page(request, rows)
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    return json_response({"next": next_path, "prev": None, "results": chunk}, "application/json")


async def v1_list_people(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    try:
        list_id = int(request.match_info["list_id"])
    except ValueError:
        list_id = -1
    if list_id not in store.nation.lists:
        return nb_error(404, "not_found", "Record not found")
    signups = store.nation.signups
    rows = store.view(
        ("v1-people", list_id),
        lambda: [
            v1_person(signups[sid]) for sid in store.nation.list_members[list_id] if sid in signups
        ],
    )
    try:
        chunk, next_path = v1_page(request, rows)
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    return json_response({"next": next_path, "prev": None, "results": chunk}, "application/json")


async def oauth_token(request: web.Request) -> web.Response:
    """The refresh flow: a valid refresh token buys a new access token and a new refresh token."""
    auth = request.app[AUTH]
    form: dict[str, Any] = (
        dict(await request.post())
        if request.content_type != "application/json"
        else await request.json()
    )
    if form.get("grant_type") != "refresh_token":
        return web.json_response({"error": "unsupported_grant_type"}, status=400)
    access, refresh = auth.refresh(
        form.get("client_id"), form.get("client_secret"), form.get("refresh_token")
    )
    if access is None:
        return web.json_response(
            {"error": "invalid_grant", "error_description": "The refresh token is invalid."},
            status=401,
        )
    return web.json_response(
        {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": 86400,
            "refresh_token": refresh,
            "created_at": int(datetime.now(UTC).timestamp()),
        }
    )


def add_routes(app: web.Application) -> None:
    # Imported here: the write routes reuse this module's responses, so it must be loaded first.
    from simulator.nb_write_api import add_write_routes

    app.router.add_get("/api/v2/lists/{list_id}/signups", v2_list_signups)
    app.router.add_get("/api/v2/{resource}", v2_index)
    app.router.add_get("/api/v2/{resource}/{record_id}", v2_show)
    app.router.add_get("/api/v1/lists", v1_lists)
    app.router.add_get("/api/v1/lists/{list_id}/people", v1_list_people)
    app.router.add_post("/oauth/token", oauth_token)
    add_write_routes(app)
