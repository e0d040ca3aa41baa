"""`push-list`: make a NationBuilder list hold exactly a segment's people, sending only changes."""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sources.http import ApiClient
from writeback.connection import NbConnection
from writeback.logs import LIST_PUSHES, record, segment_rows, tags_applied
from writeback.nationbuilder import (
    LIST_SLUG,
    MAX_IDS_PER_REQUEST,
    add_to_list,
    create_list,
    find_list,
    list_member_ids,
    remove_from_list,
    tag_list,
    token_owner_id,
)
from writeback.segment import SEGMENTS_DIR, WritebackError, resolve_segment, signup_ids


@dataclass
class PushResult:
    """What a push did, or in a dry run would do; `render()` says it in one paragraph."""

    list_slug: str
    segment: str
    dry_run: bool
    segment_size: int
    tag: str | None
    batch_size: int
    list_id: int | None = None
    created: bool = False
    members_before: int = 0
    added: int = 0
    removed: int = 0
    not_added: int = 0
    tagged: bool = False

    @property
    def write_requests(self) -> int:
        adds = math.ceil(self.added / self.batch_size)
        removes = math.ceil(self.removed / self.batch_size)
        return int(self.created) + adds + removes + int(self.tagged)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "write_requests": self.write_requests}

    def render(self) -> str:
        name = f"list '{self.list_slug}'" + (f" (id {self.list_id})" if self.list_id else "")
        people = f"{self.segment_size} {'person' if self.segment_size == 1 else 'people'}"
        if not self.write_requests:
            return f"{name} already matches {self.segment} ({people}): nothing to send."
        requests = f"{self.write_requests} write request{'s' * (self.write_requests != 1)}"
        if self.dry_run:
            return (
                f"Dry run, nothing sent: pushing {self.segment} ({people}) to {name} would"
                f" {'create it, ' if self.created else ''}add {self.added}, remove {self.removed}"
                f" of the {self.members_before} people it holds"
                f"{f' and tag everyone on it {self.tag!r}' if self.tagged else ''} ({requests})."
            )
        text = (
            f"Pushed {self.segment} ({people}) to {name}: {'created it, ' if self.created else ''}"
            f"added {self.added}, removed {self.removed} of the {self.members_before} people it"
            f" held{f', tagged everyone on it {self.tag!r}' if self.tagged else ''} ({requests})."
        )
        if self.not_added:
            text += (
                f" NationBuilder did not add {self.not_added} of the ids: they are not people in"
                " the nation (deleted since the last extract?)."
            )
        return text


def push_list(
    warehouse: Path,
    list_slug: str,
    query: str,
    *,
    tag: str | None,
    dry_run: bool,
    list_name: str | None = None,
    author_id: int | None = None,
    batch_size: int = MAX_IDS_PER_REQUEST,
    connection: NbConnection | None = None,
    segments_dir: Path = SEGMENTS_DIR,
) -> PushResult:
    """Runs the segment, then adds the people missing from the list, removes those who left it
    and tags them, creating the list first if its slug is new. A dry run only reads."""
    if not LIST_SLUG.fullmatch(list_slug):
        # Refused here, dry run included: the dry run would promise a list the API refuses.
        raise WritebackError(
            f"list slug {list_slug!r} would be refused by NationBuilder: "
            "use letters, digits, '-' or '_' (no spaces)"
        )
    if not 1 <= batch_size <= MAX_IDS_PER_REQUEST:
        raise WritebackError(f"batch size must be 1..{MAX_IDS_PER_REQUEST}, got {batch_size}")
    segment = resolve_segment(query, segments_dir)
    nb = connection or NbConnection.from_config()
    wanted = signup_ids(*segment_rows(warehouse, segment))
    already_tagged = tags_applied(warehouse, list_slug)
    result = PushResult(list_slug, segment.label, dry_run, len(wanted), tag, batch_size)

    async def push() -> None:
        client = nb.client()
        try:
            await _sync(client, result, wanted, list_name, author_id, already_tagged)
        finally:
            await client.close()

    asyncio.run(push())
    if not dry_run and result.write_requests:
        row = {
            "pushed_at": datetime.now(UTC),
            "list_id": result.list_id,
            "list_slug": list_slug,
            "segment": segment.name,
            "query": segment.sql,
            "segment_size": result.segment_size,
            "added": result.added,
            "removed": result.removed,
            "not_added": result.not_added,
            "tag": tag,
            "tagged": result.tagged,
        }
        record(warehouse, LIST_PUSHES, [row])
    return result


async def _sync(
    client: ApiClient,
    result: PushResult,
    wanted: list[int],
    list_name: str | None,
    author_id: int | None,
    already_tagged: set[tuple[int, str]],
) -> None:
    found = await find_list(client, result.list_slug)
    current = await list_member_ids(client, found.id) if found else set()
    to_add = sorted(set(wanted) - current)
    to_remove = sorted(current - set(wanted))
    result.list_id = found.id if found else None
    result.created = found is None
    result.members_before, result.added, result.removed = len(current), len(to_add), len(to_remove)
    # A tag reaches the people on the list when it is sent: send it again only for newcomers.
    result.tagged = bool(result.tag and wanted) and (
        found is None or bool(to_add) or (found.id, str(result.tag)) not in already_tagged
    )
    if result.dry_run:
        return
    if found is None:
        author = author_id or await token_owner_id(client)
        found = await create_list(client, list_name or result.list_slug, result.list_slug, author)
        result.list_id = found.id
    if to_add:
        count = await add_to_list(client, found.id, to_add, result.batch_size)
        result.not_added = max(0, len(current) + len(to_add) - count)
    if to_remove:
        await remove_from_list(client, found.id, to_remove, result.batch_size)
    if result.tagged and result.tag:
        await tag_list(client, found.id, result.tag)
