"""Fetcher against a scripted API: bad records as one-line errors, the dialect retry on 400."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from sources.action_network.cursor import Cursor
from sources.action_network.fetch import Fetcher
from sources.action_network.records import person_row
from sources.action_network.settings import PEOPLE
from sources.http import Credential, FatalHttpError, MalformedPageError, SharedClient
from tests.sources.action_network.helpers import Reply, ScriptedApi

Answer = Callable[[str, dict[str, Any]], Reply]

SAVED = {"modified_field": "modified_date", "cursor": "2025-03-01T12:00:00+00:00"}


def person(n: int) -> dict[str, Any]:
    return {"identifiers": [f"action_network:p{n}"], "modified_at": "2025-03-02T00:00:00Z"}


def hal(records: list[Any], page: int, total_pages: int) -> dict[str, Any]:
    links = {"next": {"href": f"http://an.test/api/v2/people?page={page + 1}"}}
    return {
        "page": page,
        "total_pages": total_pages,
        "_links": links if page < total_pages else {},
        "_embedded": {"osdi:people": records},
    }


def read(api: ScriptedApi, cursor: Cursor | None = None) -> list[pa.Table]:
    with api.running():
        shared = SharedClient(Credential(api.settings()))

        async def collect() -> list[pa.Table]:
            fetcher = Fetcher(shared, concurrency=2)
            async with fetcher.open():
                return [table async for table in fetcher.tables(PEOPLE, person_row, cursor=cursor)]

        try:
            return asyncio.run(collect())
        finally:
            assert not shared.is_open, "the fetcher left its client open"


def test_bad_record_fails_with_one_line_naming_resource_page_and_problem() -> None:
    pages = {1: [person(1)], 2: [person(2), {"identifiers": []}]}
    api = ScriptedApi(lambda _, q: hal(pages[q["page"]], q["page"], 2))
    with pytest.raises(MalformedPageError) as failed:
        read(api)
    message = str(failed.value)
    assert message == (
        "action_network: GET people -> malformed_page: page 2: people: record 2: no identifiers"
    )


def bad_field(rejected: str) -> Answer:
    def answer(_: str, query: dict[str, Any]) -> dict[str, Any]:
        if query.get("filter", "").startswith(rejected):
            return 400, {"error": "no"}
        return hal([person(1)], query["page"], 1)

    return answer


def test_filter_rejected_with_400_is_retried_once_in_the_other_dialect() -> None:
    api = ScriptedApi(bad_field("modified_date"))
    cursor = Cursor(dict(SAVED), 3600)
    assert len(read(api, cursor)) == 1
    assert [call["filter"].split()[0] for call in api.calls] == ["modified_date", "modified_at"]
    assert cursor.field == "modified_at"


def test_400_in_both_dialects_is_raised() -> None:
    api = ScriptedApi(bad_field("modified"))
    with pytest.raises(FatalHttpError):
        read(api, Cursor(dict(SAVED), 3600))
    assert len(api.calls) == 2


def test_400_without_a_filter_is_not_retried() -> None:
    api = ScriptedApi(bad_field(""))
    with pytest.raises(FatalHttpError):
        read(api, Cursor({}, 3600))
    assert len(api.calls) == 1
