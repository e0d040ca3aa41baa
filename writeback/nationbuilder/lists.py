"""NB v1 lists: find by slug, create, read members, add and remove people in batches, tag."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sources.http import ApiClient, FatalHttpError, MalformedPageError, iter_nb_v1_pages
from sources.nationbuilder.settings import V1_PAGE_LIMIT

MAX_IDS_PER_REQUEST = 100_000  # the documented limit of the add and delete people endpoints
LISTS_PATH = "/api/v1/lists"
RESOURCE = "push_lists"
# What NationBuilder accepts as a list's slug (it answers 422 to anything else).
LIST_SLUG = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class NbList:
    """A list as v1 prints it; `count` is its size when the response was made."""

    id: int
    name: str
    slug: str
    count: int

    @classmethod
    def parse(cls, record: Any, method: str, path: str) -> NbList:
        try:
            fields = (record["id"], record["name"], record["slug"], record["count"])
            return cls(int(fields[0]), str(fields[1]), str(fields[2]), int(fields[3]))
        except (KeyError, TypeError, ValueError):
            problem = f"not a list record: {str(record)[:80]}"
            raise MalformedPageError("nationbuilder", path, 1, problem, method) from None


def batches(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    """Consecutive slices of at most `size` ids, in the given order."""
    if not 1 <= size <= MAX_IDS_PER_REQUEST:
        raise ValueError(f"batch size must be 1..{MAX_IDS_PER_REQUEST}, got {size}")
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


async def find_list(client: ApiClient, slug: str) -> NbList | None:
    """v1 has no lookup by slug, so this pages through every list."""
    async for page in iter_nb_v1_pages(client, LISTS_PATH, V1_PAGE_LIMIT, resource=RESOURCE):
        for record in page["results"]:
            if isinstance(record, dict) and record.get("slug") == slug:
                return NbList.parse(record, "GET", LISTS_PATH)
    return None


async def create_list(client: ApiClient, name: str, slug: str, author_id: int) -> NbList:
    """Creates an empty list; if the answer was lost and a retry found the slug taken, the list
    the first attempt made is looked up instead of failing."""
    body = {"list": {"name": name, "slug": slug, "author_id": author_id}}
    try:
        reply = await client.request_json("POST", LISTS_PATH, json_body=body, resource=RESOURCE)
    except FatalHttpError:
        existing = await find_list(client, slug)
        if existing is None:
            raise
        return existing
    record = reply.get("list_resource") if isinstance(reply, dict) else None
    return NbList.parse(record, "POST", LISTS_PATH)


async def list_member_ids(client: ApiClient, list_id: int) -> set[int]:
    path = f"{LISTS_PATH}/{list_id}/people"
    pages = iter_nb_v1_pages(client, path, V1_PAGE_LIMIT, resource=RESOURCE)
    return {int(record["id"]) async for page in pages for record in page["results"]}


async def add_to_list(client: ApiClient, list_id: int, ids: Sequence[int], batch_size: int) -> int:
    """Adds people batch by batch; returns the list's size after the last batch (-1 if none)."""
    path = f"{LISTS_PATH}/{list_id}/people"
    count = -1
    for batch in batches(ids, batch_size):
        reply = await client.request_json(
            "POST", path, json_body={"people_ids": batch}, resource=RESOURCE
        )
        count = NbList.parse(reply, "POST", path).count
    return count


async def remove_from_list(
    client: ApiClient, list_id: int, ids: Sequence[int], batch_size: int
) -> None:
    """NationBuilder removes the people asynchronously, within a few minutes of the call."""
    path = f"{LISTS_PATH}/{list_id}/people"
    for batch in batches(ids, batch_size):
        await client.request_json(
            "DELETE", path, json_body={"people_ids": batch}, resource=RESOURCE
        )


async def tag_list(client: ApiClient, list_id: int, tag: str) -> None:
    """Tags everyone on the list; NationBuilder applies it in the background (204)."""
    path = f"{LISTS_PATH}/{list_id}/tag/{quote(tag, safe='')}"
    await client.request_json("POST", path, resource=RESOURCE)


async def token_owner_id(client: ApiClient) -> int:
    """The person the access token belongs to: the author of lists created without one."""
    path = "/api/v1/people/me"
    reply = await client.get_json(path, resource=RESOURCE)
    person = reply.get("person") if isinstance(reply, dict) else None
    if not isinstance(person, dict) or not isinstance(person.get("id"), int):
        raise MalformedPageError("nationbuilder", path, 1, "no person.id in the answer")
    return int(person["id"])
