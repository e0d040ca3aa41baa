"""NationBuilder v1 write routes: lists (create, add/remove people, tag), imports, people/me."""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web

from simulator.appkeys import STORE
from simulator.nb_api import BadRequest, json_response, nb_error
from simulator.nb_imports import advance, create_import, render_import
from simulator.nb_render import v1_list, v1_person
from simulator.store import Store

JSON = "application/json"
MAX_IDS = 100_000  # "Up to 100,000 ids are accepted."
SLUG = re.compile(r"[A-Za-z0-9_-]+")


def not_found() -> web.Response:
    return nb_error(404, "not_found", "Record not found")


def validation_failed(field: str, problem: str) -> web.Response:
    body = {
        "code": "validation_failed",
        "message": f"Validation Failed: {field} {problem}",
        "validation_errors": {field: [problem]},
    }
    return web.Response(status=400, body=orjson.dumps(body), content_type=JSON)


async def read_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("invalid_json", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", "The request body must be a JSON object")
    return body


def find_id(request: web.Request, key: str, table: dict[int, Any]) -> int | None:
    try:
        record_id = int(request.match_info[key])
    except ValueError:
        return None
    return record_id if record_id in table else None


def people_ids(body: dict[str, Any]) -> list[int]:
    ids = body.get("people_ids")
    if not isinstance(ids, list) or not all(type(i) is int for i in ids):
        raise BadRequest("invalid_people_ids", "people_ids must be a JSON list of integer ids")
    if len(ids) > MAX_IDS:
        raise BadRequest("too_many_people_ids", f"Up to {MAX_IDS:,} ids are accepted")
    return ids


def set_members(store: Store, list_id: int, members: set[int]) -> web.Response:
    """Replaces a list's members; a change moves the list's updated_at and the data version."""
    nation = store.nation
    if members != set(nation.list_members[list_id]):
        nation.list_members[list_id] = sorted(members)
        nation.lists[list_id]["updated_at"] = store.now()
        store.version += 1
    return json_response(v1_list(nation.lists[list_id], len(members)), JSON)


async def create_list(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    nation = store.nation
    try:
        attrs = (await read_body(request)).get("list")
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    if not isinstance(attrs, dict):
        return validation_failed("list", "is required")
    name, slug, author_id = attrs.get("name"), attrs.get("slug"), attrs.get("author_id")
    if not isinstance(name, str) or not name.strip():
        return validation_failed("name", "can't be blank")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        return validation_failed("slug", "must be letters, digits, '-' or '_'")
    if any(row["slug"] == slug for row in nation.lists.values()):
        return validation_failed("slug", "has already been taken")
    if type(author_id) is not int or author_id not in nation.signups:
        return validation_failed("author_id", "must be a person in this nation")
    list_id, when = nation.new_id("lists"), store.now()
    nation.lists[list_id] = {
        "id": list_id,
        "name": name,
        "slug": slug,
        "description": None,
        "author_id": author_id,
        "created_at": when,
        "updated_at": when,
    }
    nation.list_members[list_id] = []
    store.version += 1
    return json_response({"list_resource": v1_list(nation.lists[list_id], 0)}, JSON)


async def _change_members(request: web.Request, adding: bool) -> web.Response:
    store: Store = request.app[STORE]
    nation = store.nation
    list_id = find_id(request, "list_id", nation.lists)
    if list_id is None:
        return not_found()
    try:
        ids = people_ids(await read_body(request))
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    held = set(nation.list_members[list_id])
    if adding:
        return set_members(store, list_id, held | {i for i in ids if i in nation.signups})
    return set_members(store, list_id, held - set(ids))


async def add_people(request: web.Request) -> web.Response:
    """Ids that are not people in the nation are skipped; the answer's count shows it."""
    return await _change_members(request, adding=True)


async def remove_people(request: web.Request) -> web.Response:
    """Live, people leave the list within minutes; the simulator removes them at once."""
    return await _change_members(request, adding=False)


async def tag_list(request: web.Request) -> web.Response:
    """Tags every member (creating the tag if new); live this runs in the background."""
    store: Store = request.app[STORE]
    nation = store.nation
    list_id = find_id(request, "list_id", nation.lists)
    if list_id is None:
        return not_found()
    name = request.match_info["tag"].strip()
    if not name:
        return validation_failed("tag", "can't be blank")
    tag_id = next(
        (i for i, row in nation.signup_tags.items() if row["name"].lower() == name.lower()), None
    )
    if tag_id is None:
        tag_id = nation.new_id("signup_tags")
        nation.signup_tags[tag_id] = {"id": tag_id, "name": name}
    tagged = {
        row["signup_id"] for row in nation.signup_taggings.values() if row["tag_id"] == tag_id
    }
    when = store.now()
    for signup_id in sorted(set(nation.list_members[list_id]) - tagged):
        tagging_id = nation.new_id("signup_taggings")
        nation.signup_taggings[tagging_id] = {
            "id": tagging_id,
            "signup_id": signup_id,
            "tag_id": tag_id,
            "created_at": when,
        }
    store.version += 1
    return web.Response(status=204)


async def people_me(request: web.Request) -> web.Response:
    """The token's owner: the simulator says it is the nation's first person."""
    signups = request.app[STORE].nation.signups
    if not signups:
        return not_found()
    return json_response({"person": v1_person(signups[min(signups)])}, JSON)


async def post_import(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    try:
        record = create_import(store.nation, await read_body(request))
    except BadRequest as exc:
        return nb_error(400, exc.code, exc.message)
    return json_response({"import": render_import(record)}, JSON)


async def show_import(request: web.Request) -> web.Response:
    """Each look moves the import one state on, so a poller sees queued, working, finished."""
    store: Store = request.app[STORE]
    import_id = find_id(request, "import_id", store.nation.imports)
    if import_id is None:
        return not_found()
    record = store.nation.imports[import_id]
    advance(store, record)
    return json_response({"import": render_import(record)}, JSON)


async def import_result(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    import_id = find_id(request, "import_id", store.nation.imports)
    result = None if import_id is None else store.nation.imports[import_id]["result"]
    if result is None:
        return nb_error(404, "not_found", "No result: the import has not finished")
    return json_response({"result": result}, JSON)


def add_write_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/lists", create_list)
    app.router.add_post("/api/v1/lists/{list_id}/people", add_people)
    app.router.add_delete("/api/v1/lists/{list_id}/people", remove_people)
    app.router.add_post("/api/v1/lists/{list_id}/tag/{tag}", tag_list)
    app.router.add_get("/api/v1/people/me", people_me)
    app.router.add_post("/api/v1/imports", post_import)
    app.router.add_get("/api/v1/imports/{import_id}", show_import)
    app.router.add_get("/api/v1/imports/{import_id}/result", import_result)
