"""NB v1 people imports: send one file, wait until it has run, read what it did."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from typing import Any

from sources.http import ApiClient, MalformedPageError

IMPORTS_PATH = "/api/v1/imports"
RESOURCE = "push_imports"
FINISHED = "finished"


@dataclass(frozen=True)
class ImportCounts:
    """The import's result: rows_updated are the rows that matched someone already there."""

    rows_succeeded: int
    rows_updated: int
    rows_failed: int


class ImportTimeout(Exception):
    """The import did not finish in time; it may still finish later in NationBuilder."""

    def __init__(self, import_id: int, status: str, waited: float) -> None:
        self.import_id, self.status = import_id, status
        super().__init__(
            f"import {import_id} still {status!r} after {waited:.0f}s; "
            "it keeps running in NationBuilder (Settings > Imports shows its result)"
        )


def encode_file(data: bytes) -> str:
    """RFC 4648 §5 base64 ("URL and Filename safe" alphabet), as the imports API asks."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def _import_record(reply: Any, method: str, path: str) -> dict[str, Any]:
    record = reply.get("import") if isinstance(reply, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get("id"), int):
        raise MalformedPageError("nationbuilder", path, 1, "no import.id in the answer", method)
    return record


async def start_import(client: ApiClient, data: bytes, *, overwrite: bool) -> int:
    """Queues a people import of one CSV file; returns the import's id."""
    body = {"import": {"type": "people", "file": encode_file(data), "is_overwritable": overwrite}}
    reply = await client.request_json("POST", IMPORTS_PATH, json_body=body, resource=RESOURCE)
    return int(_import_record(reply, "POST", IMPORTS_PATH)["id"])


async def import_status(client: ApiClient, import_id: int) -> str:
    """queued, working or finished."""
    path = f"{IMPORTS_PATH}/{import_id}"
    record = _import_record(await client.get_json(path, resource=RESOURCE), "GET", path)
    status = record.get("status")
    name = status.get("name") if isinstance(status, dict) else None
    if not isinstance(name, str):
        raise MalformedPageError("nationbuilder", path, 1, "no import.status.name in the answer")
    return name


async def wait_until_finished(
    client: ApiClient, import_id: int, *, poll_interval: float, timeout: float
) -> None:
    """Polls the import's status every `poll_interval` seconds for at most `timeout` seconds."""
    started = time.monotonic()
    while (status := await import_status(client, import_id)) != FINISHED:
        waited = time.monotonic() - started
        if waited >= timeout:
            raise ImportTimeout(import_id, status, waited)
        await asyncio.sleep(poll_interval)


async def import_result(client: ApiClient, import_id: int) -> ImportCounts:
    path = f"{IMPORTS_PATH}/{import_id}/result"
    reply = await client.get_json(path, resource=RESOURCE)
    result: Any = reply.get("result") if isinstance(reply, dict) else None
    try:
        counts = (result["rows_succeeded"], result["rows_updated"], result["rows_failed"])
        return ImportCounts(*(int(count) for count in counts))
    except (KeyError, TypeError, ValueError):
        problem = "no result counts in the answer"
        raise MalformedPageError("nationbuilder", path, 1, problem) from None
