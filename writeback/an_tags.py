"""`an-tag`: make an Action Network tag hold exactly a segment's people, sending only changes.

A row names an Action Network person by `action_network_person_id` (`action_network:<uuid>`,
as `analytics.people` has it, or the bare uuid); a row without one is looked up by its
`email` (or `primary_email`), so people added to Action Network since the last extract are
found too. Rows with neither, or whose address nobody in Action Network has, are skipped and
reported. The tag's current taggings are read and only the difference is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sources.http import ApiClient
from writeback.action_network import (
    AnTag,
    add_tagging,
    create_tag,
    find_person,
    find_tag,
    remove_tagging,
    tagged_people,
)
from writeback.action_network.sending import run_logged, send_each
from writeback.connection import AnConnection
from writeback.logs import AN_TAG_PUSHES, record_run, segment_rows
from writeback.rows import (
    EMAIL_COLUMNS,
    SHOWN,
    Skipped,
    clean_email,
    column,
    person_uuid,
    refusal,
    skipped_rows,
    summarize,
    text,
)
from writeback.segment import SEGMENTS_DIR, WritebackError, resolve_segment

COMMAND = "an-tag"
ID_COLUMN = "action_network_person_id"


@dataclass
class Named:
    """The people a segment names: uuids from the id column, addresses to look up, and the
    first row that named each (what a report points at)."""

    rows_of_uuid: dict[str, int] = field(default_factory=dict)
    rows_of_email: dict[str, list[int]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


def named_people(columns: list[str], rows: Sequence[Sequence[Any]]) -> Named:
    """Reads each row's id, else its address; rows with neither usable are skipped."""
    id_index, email_index = column(columns, (ID_COLUMN,)), column(columns, EMAIL_COLUMNS)
    if id_index is None and email_index is None:
        raise WritebackError(
            f"the query returns {', '.join(columns)}: an-tag needs a column {ID_COLUMN}"
            " (Action Network ids) or email / primary_email (looked up in Action Network)"
        )
    named = Named()
    for number, row in enumerate(rows, 1):
        raw_id, raw_email = text(row, id_index), text(row, email_index)
        if raw_id is not None:
            bare = person_uuid(raw_id)
            if bare is None:
                named.skipped.append(Skipped(number, raw_id, "not an Action Network person id"))
            else:
                named.rows_of_uuid.setdefault(bare, number)
            continue
        address, problem = clean_email(raw_email)
        if address is not None:
            named.rows_of_email.setdefault(address, []).append(number)
        else:
            reason = problem or f"no {ID_COLUMN} and no email"
            named.skipped.append(Skipped(number, raw_email, reason))
    return named


@dataclass
class TagResult:
    """What an-tag did, or in a dry run would do; `render()` says it in one paragraph."""

    tag: str
    segment: str
    dry_run: bool
    remove_others: bool
    rows: int
    tag_id: str | None = None
    created: bool = False
    people: int = 0
    members_before: int = 0
    added: int = 0
    removed: int = 0
    others_kept: int = 0
    sample_added: list[str] = field(default_factory=list)
    sample_removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def write_requests(self) -> int:
        return int(self.created) + self.added + self.removed + len(self.failed)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "write_requests": self.write_requests}

    def render(self) -> str:
        name = f"tag '{self.tag}'" + (f" (id {self.tag_id})" if self.tag_id else "")
        people = f"{self.people} {'person' if self.people == 1 else 'people'} in Action Network"
        if not self.write_requests:
            text = f"T{name[1:]} already holds {self.segment}'s {people}: nothing to send."
        elif self.dry_run:
            text = (
                f"Dry run, nothing sent: tagging {self.segment} ({people}) {name} would"
                f" {'create the tag, ' if self.created else ''}add {self.added}"
                f"{_sample(self.sample_added, self.added)} and remove {self.removed}"
                f"{_sample(self.sample_removed, self.removed)} of the {self.members_before}"
                f" people it holds ({self.write_requests} write requests)."
            )
        else:
            text = (
                f"Tagged {self.segment} ({people}) {name}:"
                f" {'created the tag, ' if self.created else ''}added {self.added}, removed"
                f" {self.removed} of the {self.members_before} people it held"
                f" ({self.write_requests} write requests). Logged in {AN_TAG_PUSHES}"
                f" (run {self.run_id})."
            )
        if self.others_kept:
            text += (
                f" {self.others_kept} people it holds are not in the segment and keep the tag"
                " (--remove-others removes it)."
            )
        text += summarize(self.failed, "taggings Action Network refused")
        return text + summarize(self.skipped, "rows skipped")


def _sample(labels: list[str], count: int) -> str:
    if not labels:
        return ""
    more = ", ..." if count > len(labels) else ""
    return f" (e.g. {', '.join(labels)}{more})"


def tag_people(
    warehouse: Path,
    tag: str,
    query: str,
    *,
    remove_others: bool,
    dry_run: bool,
    connection: AnConnection | None = None,
    segments_dir: Path = SEGMENTS_DIR,
) -> TagResult:
    """Runs the segment, finds its people in Action Network, then tags those the tag misses
    (creating the tag when it is new and someone is to carry it) and, with `remove_others`,
    untags those it holds who are not in the segment. A dry run only reads."""
    if not tag.strip():
        raise WritebackError("--tag is empty: name the Action Network tag")
    segment = resolve_segment(query, segments_dir)
    columns, rows = segment_rows(warehouse, segment)
    named = named_people(columns, rows)
    an = connection or AnConnection.from_config()
    result = TagResult(tag.strip(), segment.label, dry_run, remove_others, len(rows))
    result.skipped = list(named.skipped)
    run_logged(
        an.client,
        lambda client: _sync(client, result, named),
        lambda error: _log(warehouse, result, segment.name, segment.sql, error),
        dry_run=dry_run,
    )
    return result


async def _people(client: ApiClient, named: Named, result: TagResult) -> dict[str, str]:
    """Every person the segment names, by bare uuid, with how a summary shows them."""
    people = {bare: f"action_network:{bare}" for bare in named.rows_of_uuid}
    found: dict[str, str] = {}

    async def look_up(address: str) -> None:
        person = await find_person(client, email=address)
        if person is not None:
            found[address] = person.uuid

    refused = dict(await send_each(named.rows_of_email, look_up))
    for address, numbers in named.rows_of_email.items():
        bare = found.get(address)
        if bare is not None:
            people.setdefault(bare, address)
            named.rows_of_uuid.setdefault(bare, numbers[0])
            continue
        reason = (
            refusal(refused[address], "the look-up")
            if address in refused
            else "no Action Network person has this email"
        )
        result.skipped.extend(Skipped(number, address, reason) for number in numbers)
    result.skipped.sort(key=lambda entry: entry.row)
    return people


async def _sync(client: ApiClient, result: TagResult, named: Named) -> None:
    people = await _people(client, named, result)
    tag = await find_tag(client, result.tag)
    current = await tagged_people(client, tag) if tag else {}
    to_add = sorted(set(people) - set(current))
    others = sorted(set(current) - set(people))
    to_remove = others if result.remove_others else []
    result.tag_id = tag.uuid if tag else None
    result.created = tag is None and bool(to_add)
    result.people, result.members_before = len(people), len(current)
    result.others_kept = len(others) - len(to_remove)
    result.sample_added = [people[bare] for bare in to_add[:SHOWN]]
    result.sample_removed = [f"action_network:{bare}" for bare in to_remove[:SHOWN]]
    if result.dry_run:
        result.added, result.removed = len(to_add), len(to_remove)
        return
    if tag is None:
        if not to_add:
            return
        tag = await create_tag(client, result.tag)
        result.tag_id = tag.uuid
    await _add(client, tag, to_add, result, named, people)
    await _remove(client, tag, to_remove, current, result)


async def _add(
    client: ApiClient,
    tag: AnTag,
    to_add: list[str],
    result: TagResult,
    named: Named,
    people: dict[str, str],
) -> None:
    async def add(bare: str) -> None:
        await add_tagging(client, tag, bare)
        result.added += 1

    refused = await send_each(to_add, add)
    result.failed = sorted(
        (
            Skipped(named.rows_of_uuid[bare], people[bare], refusal(exc, "it"), "refused")
            for bare, exc in refused
        ),
        key=lambda entry: entry.row,
    )


async def _remove(
    client: ApiClient, tag: AnTag, to_remove: list[str], current: dict[str, str], result: TagResult
) -> None:
    async def remove(bare: str) -> None:
        await remove_tagging(client, tag, current[bare])
        result.removed += 1

    await send_each(to_remove, remove)


def _log(warehouse: Path, result: TagResult, name: str | None, sql: str, error: str | None) -> None:
    row = {
        "run_id": result.run_id,
        "pushed_at": datetime.now(UTC),
        "status": "failed" if error else "done",
        "error": error,
        "tag_id": result.tag_id,
        "tag": result.tag,
        "segment": name,
        "query": sql,
        "rows": result.rows,
        "people": result.people,
        "is_remove_others": result.remove_others,
        "created": result.created,
        "members_before": result.members_before,
        "added": result.added,
        "removed": result.removed,
        "others_kept": result.others_kept,
        "skipped": len(result.skipped),
        "failed": len(result.failed),
    }
    record_run(
        warehouse,
        AN_TAG_PUSHES,
        row,
        skipped_rows(result.run_id, COMMAND, result.skipped, result.failed),
    )
