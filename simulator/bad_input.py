"""Bad input from an API: malformed, odd or self-contradicting pages, injected where a test asks.

A test sets `bad_input` (through `/_sim/config` or `SimConfig`) to one spec or a list of specs:

    {"kind": "missing_id", "path_contains": "/signups", "page": 2, "api": "nationbuilder",
     "times": 1}

`kind` says what goes wrong (see KINDS); `path_contains` matches the request path (prefix
included, e.g. "/nationbuilder/api/v2/signups"); `query_contains` the decoded query string (e.g.
"fields[signups]=id" for NB's deletion sweep); `page` the page number (NB `page[number]`, AN
`page`, 1 when absent); `api` one API; `times` how many responses to spoil before serving well
again (absent: every matching one). Each spec counts the responses it spoiled in `applied`.
Only successful GETs are spoiled, after faults and rate limits had their turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KINDS = (
    "malformed_json",  # a 200 whose body is an HTML error page, not JSON
    "missing_id",  # one record without its id (NB `id`, AN `identifiers`)
    "wrong_type",  # one record's timestamp is "not a timestamp"
    "coercible_types",  # numbers and booleans as strings, NB ids as numbers: still readable
    "unknown_fields",  # every record gains fields nobody declared, one nested
    "huge_string",  # one record's name is HUGE_LENGTH characters long
    "odd_unicode",  # one record's names are ODD_TEXT
    "repeat_page",  # page N serves page N-1 again
    "overlap_page",  # page N starts with the last record of page N-1
    "empty_page",  # page N has no records, but its links and totals say there is more
    "echo_credentials",  # a 400 whose message quotes the request's credential
    "lone_surrogate",  # one record's name holds an unpaired UTF-16 surrogate escape
)
SPEC_KEYS = frozenset(
    {"kind", "path_contains", "query_contains", "page", "api", "times", "applied"}
)
HUGE_LENGTH = 1_500_000
ODD_TEXT = (
    "Zoë Ångström-Núñez 👩\u200d👩\u200d👧\u200d👦 مرحبا שלום \u202eRTL\u202c "
    "e\u0301 \u200b\ufeff\u2028\U0001d518\U0001d52b\U0001d526 漢字 \U0001f600 "
    "\\ \" ' ; -- drop table"
)
HTML_ERROR = b"<!DOCTYPE html><html><body><h1>We'll be right back</h1></body></html>"
NAME_FIELDS = ("first_name", "given_name", "name", "title", "family_name", "last_name", "slug")
TIME_FIELDS = ("updated_at", "modified_date", "modified_at", "created_at", "created_date")


def normalize(raw: Any) -> list[dict[str, Any]]:
    """One spec or a list of them, checked: unknown kinds or keys are a ValueError."""
    specs = [raw] if isinstance(raw, dict) else raw
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise ValueError("bad_input must be a spec object or a list of them")
    for spec in specs:
        if spec.get("kind") not in KINDS:
            raise ValueError(f"unknown bad_input kind: {spec.get('kind')!r}; known: {KINDS}")
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            raise ValueError(f"unknown bad_input keys: {sorted(unknown)}")
        spec.setdefault("applied", 0)
    return specs


def page_number(request: web.Request, api: str) -> int:
    raw = request.query.get("page[number]" if api == "nationbuilder" else "page", "1")
    return int(raw) if raw.isdigit() else 1


def matching(specs: list[dict[str, Any]], request: web.Request, api: str) -> dict[str, Any] | None:
    """The first spec that wants this request spoiled and has uses left."""
    for spec in specs:
        if spec.get("api") not in (None, api):
            continue
        if spec.get("path_contains", "") not in request.path:
            continue
        if spec.get("query_contains", "") not in unquote(request.query_string):
            continue
        if spec.get("page") is not None and spec["page"] != page_number(request, api):
            continue
        if spec.get("times") is not None and spec["applied"] >= spec["times"]:
            continue
        return spec
    return None


async def spoil(
    request: web.Request,
    api: str,
    specs: list[dict[str, Any]],
    handler: Handler,
    response: web.StreamResponse,
) -> tuple[web.StreamResponse, str | None]:
    """The response as the spec would have it, and the kind applied (None: served as it was)."""
    if request.method != "GET" or response.status != 200 or not specs:
        return response, None
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        return response, None
    spec = matching(specs, request, api)
    if spec is None:
        return response, None
    kind = spec["kind"]
    if kind in ("repeat_page", "overlap_page"):
        number = page_number(request, api)
        if number < 2:
            return response, None
        previous = await _previous_page(request, api, number, handler)
        if previous is None:
            return response, None
        new_body = _reuse(kind, api, orjson.loads(body), previous)
    elif kind == "echo_credentials":
        spec["applied"] += 1
        return _echo(request, api), kind
    elif kind == "malformed_json":
        new_body = HTML_ERROR
    else:
        page = orjson.loads(body)
        if not _records(api, page):
            return response, None
        new_body = _spoil_page(kind, api, page)
    spec["applied"] += 1
    spoiled = web.Response(body=new_body, status=200, content_type=response.content_type)
    return spoiled, kind


async def _previous_page(
    request: web.Request, api: str, number: int, handler: Handler
) -> Any | None:
    key = "page[number]" if api == "nationbuilder" else "page"
    query = request.rel_url.query.copy()
    query[key] = str(number - 1)
    earlier = await handler(request.clone(rel_url=request.rel_url.with_query(query)))
    body = getattr(earlier, "body", None)
    return orjson.loads(body) if earlier.status == 200 and isinstance(body, bytes) else None


def _records(api: str, page: Any) -> list[Any]:
    """The list a page keeps its records in (the live list: changes show in the page)."""
    if not isinstance(page, dict):
        return []
    if api == "nationbuilder":
        found = page.get("data", page.get("results"))
        return found if isinstance(found, list) else []
    embedded = page.get("_embedded")
    if isinstance(embedded, dict) and embedded:
        found = next(iter(embedded.values()))
        return found if isinstance(found, list) else []
    return []


def _fields(api: str, record: dict[str, Any]) -> dict[str, Any]:
    attributes = record.get("attributes")
    return attributes if api == "nationbuilder" and isinstance(attributes, dict) else record


def _spoil_page(kind: str, api: str, page: Any) -> bytes:
    records = _records(api, page)
    victim = records[len(records) // 2]
    fields = _fields(api, victim)
    if kind == "missing_id":
        victim.pop("identifiers" if api == "action_network" else "id", None)
    elif kind == "wrong_type":
        name = next((n for n in TIME_FIELDS if fields.get(n)), None)
        if name is None:
            victim["id"] = "not-an-id"
        else:
            fields[name] = "not a timestamp"
    elif kind == "coercible_types":
        for record in records:
            _stringify(api, record)
    elif kind == "unknown_fields":
        for record in records:
            _fields(api, record).update(
                brand_new_field="arrived today",
                newNestedField={"levels": [1, 2, {"deep": None}], "ok": True},
                new_flag=True,
                new_count=7,
            )
    elif kind == "huge_string":
        fields[_name_field(fields)] = ("Ω" + "x" * 99) * (HUGE_LENGTH // 100)
    elif kind == "odd_unicode":
        fields[_name_field(fields)] = ODD_TEXT
    elif kind == "empty_page":
        records.clear()
    elif kind == "lone_surrogate":
        fields[_name_field(fields)] = "LONE_SURROGATE"
        return orjson.dumps(page).replace(b'"LONE_SURROGATE"', b'"bad \\ud83d here"')
    return orjson.dumps(page)


def _name_field(fields: dict[str, Any]) -> str:
    return next((n for n in NAME_FIELDS if isinstance(fields.get(n), str)), NAME_FIELDS[0])


def _stringify(api: str, record: dict[str, Any]) -> None:
    """Numbers and booleans as strings, as some API versions print them; NB ids as numbers."""
    fields = _fields(api, record)
    for name, value in list(fields.items()):
        if isinstance(value, bool):
            fields[name] = "true" if value else "false"
        elif isinstance(value, int):
            fields[name] = str(value)
        elif name == "amount" and isinstance(value, str):
            fields[name] = float(value)  # AN amounts as JSON numbers
    if api == "nationbuilder" and isinstance(record.get("id"), str) and record["id"].isdigit():
        record["id"] = int(record["id"])


def _reuse(kind: str, api: str, page: Any, previous: Any) -> bytes:
    if kind == "repeat_page":
        return orjson.dumps(previous)
    earlier = _records(api, previous)
    if earlier:
        _records(api, page).insert(0, earlier[-1])
    return orjson.dumps(page)


def _echo(request: web.Request, api: str) -> web.Response:
    if api == "nationbuilder":
        credential = request.headers.get("Authorization", "").removeprefix("Bearer ")
        payload = {"code": "invalid_request", "message": f"token {credential} may not read this"}
    else:
        credential = request.headers.get("OSDI-API-Token", "")
        payload = {"error": f"API key {credential} may not read this"}
    return web.Response(status=400, body=orjson.dumps(payload), content_type="application/json")
