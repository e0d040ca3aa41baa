"""Action Network tags: find one by name, create it, read its taggings, tag and untag people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sources.action_network.records import PREFIX, bare_uuid, link_id
from sources.http import ApiClient, FatalHttpError, MalformedPageError, iter_hal_pages

TAGS_PATH = "tags"
RESOURCE = "an_tags"


@dataclass(frozen=True)
class AnTag:
    """A tag as the API prints it: its bare uuid (what URLs use) and its name."""

    uuid: str
    name: str


def own_uuid(record: Any, method: str, path: str) -> str:
    """The bare uuid of a record's `action_network:<uuid>` identifier."""
    identifiers = record.get("identifiers") if isinstance(record, dict) else None
    own = [i for i in identifiers or () if isinstance(i, str) and i.startswith(PREFIX)]
    if not own:
        problem = f"no {PREFIX}<uuid> identifier in {str(record)[:80]}"
        raise MalformedPageError("action_network", path, 1, problem, method)
    return bare_uuid(own[0])


def _tag(record: Any, method: str, path: str) -> AnTag:
    name = record.get("name") if isinstance(record, dict) else None
    if not isinstance(name, str):
        raise MalformedPageError("action_network", path, 1, "a tag without a name", method)
    return AnTag(own_uuid(record, method, path), name)


async def find_tag(client: ApiClient, name: str) -> AnTag | None:
    """The group's tag of this name: spelled the same, else the same ignoring case and spaces.
    Tags cannot be filtered, so this reads the whole list."""
    wanted = name.strip().lower()
    alike: AnTag | None = None
    async for page in iter_hal_pages(client, TAGS_PATH, None, "osdi:tags", resource=RESOURCE):
        for record in page["_embedded"]["osdi:tags"]:
            tag = _tag(record, "GET", TAGS_PATH)
            if tag.name == name:
                return tag
            if alike is None and tag.name.strip().lower() == wanted:
                alike = tag
    return alike


async def create_tag(client: ApiClient, name: str) -> AnTag:
    """Action Network answers a name it already has with that tag, so a retry makes no twin."""
    reply = await client.request_json(
        "POST", TAGS_PATH, json_body={"name": name}, resource=RESOURCE
    )
    return _tag(reply, "POST", TAGS_PATH)


def taggings_path(tag: AnTag) -> str:
    return f"{TAGS_PATH}/{tag.uuid}/taggings"


async def tagged_people(client: ApiClient, tag: AnTag) -> dict[str, str]:
    """Who carries the tag: each person's bare uuid and the uuid of their tagging."""
    path = taggings_path(tag)
    held: dict[str, str] = {}
    async for page in iter_hal_pages(client, path, None, "osdi:taggings", resource=RESOURCE):
        for record in page["_embedded"]["osdi:taggings"]:
            person = link_id(record, "osdi:person") if isinstance(record, dict) else None
            if person is None:
                problem = "a tagging without an osdi:person link"
                raise MalformedPageError("action_network", path, 1, problem)
            held[bare_uuid(person)] = own_uuid(record, "GET", path)
    return held


async def add_tagging(client: ApiClient, tag: AnTag, person_uuid: str) -> None:
    """Tags one person; a person holds a tag once, so a retry after a lost answer is harmless."""
    href = f"{client.settings.base_url.rstrip('/')}/people/{person_uuid}"
    body = {"_links": {"osdi:person": {"href": href}}}
    await client.request_json("POST", taggings_path(tag), json_body=body, resource=RESOURCE)


async def remove_tagging(client: ApiClient, tag: AnTag, tagging_uuid: str) -> None:
    """Removes one tagging; one already gone (a retry after a lost answer) is not an error."""
    path = f"{taggings_path(tag)}/{tagging_uuid}"
    try:
        await client.request_json("DELETE", path, resource=RESOURCE)
    except FatalHttpError as exc:
        if exc.status != 404:
            raise
