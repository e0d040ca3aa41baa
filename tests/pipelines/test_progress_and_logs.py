"""What a scheduler's log gets: one progress line per tick, and JSON lines that all parse.

The progress reporter reads the same counters the HTTP layer fills during a run; here they are
filled by hand, tick by tick, so each tick's line can be checked against what moved.
"""

from __future__ import annotations

import io
import json

from pipelines.progress import Progress
from sources.http import CredentialRegistry
from sources.http.settings import ApiSettings
from sources.http.stats import Counters


def registry_with(api: str, resources: list[str]) -> tuple[CredentialRegistry, dict[str, Counters]]:
    registry = CredentialRegistry()
    credential = registry.get(ApiSettings(api=api, base_url=f"http://{api}.test"))
    return registry, {name: credential.stats.for_resource(name) for name in resources}


def advance(counters: Counters, requests: int, records: int) -> None:
    counters.requests += requests
    counters.records += records


def test_a_text_tick_is_one_line_with_totals_and_only_the_resources_still_moving() -> None:
    registry, counters = registry_with("nationbuilder", ["signups", "donations", "lists"])
    stream = io.StringIO()
    progress = Progress(registry, "text", stream=stream)
    for name in counters:
        advance(counters[name], 2, 200)
    progress.report()
    advance(counters["signups"], 3, 300)  # donations and lists are done
    progress.report()
    first, second = stream.getvalue().splitlines()
    assert "nationbuilder 600 records/6 requests" in first
    moving = "nationbuilder.donations, nationbuilder.lists, nationbuilder.signups"
    assert first.endswith(f"now: {moving}")
    assert "nationbuilder 900 records/9 requests" in second
    assert second.endswith("now: nationbuilder.signups")


def test_a_json_tick_is_one_object_naming_what_moved() -> None:
    registry, counters = registry_with("action_network", ["people", "signatures"])
    stream = io.StringIO()
    progress = Progress(registry, "json", stream=stream)
    advance(counters["people"], 4, 100)
    advance(counters["signatures"], 1, 25)
    progress.report()
    advance(counters["people"], 1, 25)
    progress.report()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["progress", "progress"]
    assert all(line["level"] == "info" for line in lines)
    assert lines[1]["totals"]["action_network"]["records"] == 150
    assert [(m["resource"], m["records"]) for m in lines[1]["moving"]] == [("people", 125)]


def waited(*waits: tuple[int, int]) -> float:
    """The wait a counter reports for limiter waits given as the instants each began and ended
    (numbers passed in: no clock is read)."""
    counters = Counters()
    for began, ended in waits:
        counters.add_wait(began, ended)
    return counters.limiter_wait_seconds


def test_waits_side_by_side_count_once() -> None:
    """Requests that waited on the limiter side by side waited once, not once each: the
    summary's wait can never exceed the run's length. Each case is compared with the counter fed
    the same stretch as one wait, not with a number of seconds."""
    assert waited(*[(10, 12)] * 4) == waited((10, 12))
    assert waited((10, 12), (10, 12), (11, 13)) == waited((10, 13))
    assert waited((10, 12), (20, 21)) == waited((10, 12)) + waited((20, 21))
