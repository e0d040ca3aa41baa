"""The Action Network source end to end: simulator on loopback, dlt, a temp DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from sources.action_network import action_network_source
from sources.action_network.settings import CONCURRENCY
from sources.http import ApiError, AuthError, CredentialRegistry
from tests.sources.action_network.helpers import (
    SMALL,
    FullLoad,
    ScriptedApi,
    loaded_ids,
    make_pipeline,
    minimum_requests,
    mismatches,
    orphans,
    query,
    run_source,
)
from tests.support.simulator import configured, control, requests_served, reset_stats, truth


def test_full_load_tables_equal_truth(full_load: FullLoad) -> None:
    assert mismatches(full_load.pipeline, full_load.truth) == {}


def test_full_load_actions_link_known_people_and_parents(full_load: FullLoad) -> None:
    assert orphans(full_load.pipeline) == {}


def test_full_load_donation_cents_equal_truth(full_load: FullLoad) -> None:
    expected = full_load.truth["action_network"]["donations"]
    by_currency = query(
        full_load.pipeline,
        "select upper(currency), sum(amount_cents) from donations group by 1",
    )
    assert dict(by_currency) == expected["sum_cents_by_currency"]
    assert sum(cents for _, cents in by_currency) == expected["sum_cents"]


def test_full_load_requests_within_ten_percent_of_minimum(full_load: FullLoad) -> None:
    needed = minimum_requests(full_load.sim, full_load.truth)
    assert needed <= full_load.requests <= needed * 1.10, (full_load.requests, needed)
    assert full_load.registry.stats()[0]["requests"] == full_load.requests


def test_full_load_lands_timestamps_in_created_at_and_modified_at(full_load: FullLoad) -> None:
    nulls = query(
        full_load.pipeline,
        """
        select count(*) filter (where created_at is null or modified_at is null),
            typeof(any_value(modified_at))
        from signatures
        """,
    )
    assert nulls == [(0, "TIMESTAMP WITH TIME ZONE")]


def test_people_primary_email_is_the_primary_address(full_load: FullLoad) -> None:
    wrong = query(
        full_load.pipeline,
        """
        with flagged as (
            select id, primary_email,
                list_filter(
                    from_json(email_addresses, '[{"address": "VARCHAR", "primary": "BOOLEAN"}]'),
                    lambda e: e.primary
                )[1].address as marked
            from people
        )
        select count(*) from flagged
        where primary_email is distinct from marked and marked is not null
        """,
    )
    assert wrong == [(0,)]
    (missing,) = query(
        full_load.pipeline, "select count(*) from people where primary_email is null"
    )
    assert missing == (0,)


def test_second_run_after_mutation_fetches_only_changes(
    small_sim: RunningSimulator, tmp_path: Path
) -> None:
    pipeline = make_pipeline(tmp_path)
    reset_stats(small_sim)
    run_source(pipeline, small_sim)
    first = requests_served(small_sim, "action_network")
    summary = control(small_sim, "/_sim/mutate", {"fraction": 0.05})["action_network"]
    reset_stats(small_sim)
    registry = CredentialRegistry()
    run_source(pipeline, small_sim, registry=registry)
    second = requests_served(small_sim, "action_network")
    changed_people = summary["people"]["updated"] + summary["people"]["added"]
    people_read = registry.stats()[0]["resources"]["people"]["records"]
    assert second <= 0.4 * first, (second, first)
    assert changed_people <= people_read <= 1.2 * changed_people
    assert mismatches(pipeline, truth(small_sim)) == {}


def test_filter_rejected_in_stored_dialect_is_retried_in_the_other(
    small_sim: RunningSimulator, tmp_path: Path
) -> None:
    pipeline = make_pipeline(tmp_path)
    run_source(pipeline, small_sim)  # learns modified_date
    with configured(small_sim, an_timestamps="doc"):
        control(small_sim, "/_sim/mutate", {"fraction": 0.05})
        registry = CredentialRegistry()
        run_source(pipeline, small_sim, registry=registry)
        assert mismatches(pipeline, truth(small_sim)) == {}
    state = pipeline.state["sources"]["action_network"]["resources"]
    assert state["people"]["modified_field"] == "modified_at"
    assert state["signatures"]["modified_field"] == "modified_at"
    assert registry.stats()[0]["errors"].get("http_400", 0) >= 1


def test_wrong_key_fails_with_one_line_error_without_the_key(
    small_sim: RunningSimulator, tmp_path: Path
) -> None:
    wrong_key = "wrong-key-5f3a9c"
    with pytest.raises(PipelineStepFailed) as failed:
        run_source(make_pipeline(tmp_path), small_sim, api_key=wrong_key)
    errors = list(_api_errors(failed.value))
    assert errors, "an ApiError in the exception chain"
    message = str(errors[0])
    assert isinstance(errors[0], AuthError)
    assert "401" in message and "SOURCES__ACTION_NETWORK__API_KEY" in message
    assert "\n" not in message and wrong_key not in message


def test_config_comes_from_dlt_settings(
    small_sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__BASE_URL", small_sim.action_network_url)
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__API_KEY", "an-test-key")
    monkeypatch.setenv("SOURCES__ACTION_NETWORK__RATE_PER_SECOND", "1000")
    pipeline = make_pipeline(tmp_path)
    pipeline.run(action_network_source())
    assert mismatches(pipeline, truth(small_sim)) == {}


def test_collections_that_became_empty_empty_their_tables(tmp_path: Path) -> None:
    listed = {
        "lists": ["action_network:list-1", "action_network:list-2"],
        "petitions": ["action_network:petition-1"],  # a parent: filled by the signatures walk
    }

    def answer(path: str, query: dict[str, Any]) -> dict[str, Any]:
        collection = path.rsplit("/", 1)[-1]
        key = "action_network:campaigns" if path == "campaigns" else f"osdi:{collection}"
        records = [{"identifiers": [an_id]} for an_id in listed.get(path, [])]
        return {"page": query["page"], "total_pages": 1, "_links": {}, "_embedded": {key: records}}

    pipeline = make_pipeline(tmp_path)
    api = ScriptedApi(answer)
    with api.running():
        for _ in range(2):
            expected = {table: sorted(ids) for table, ids in listed.items()}
            run_source(pipeline, api, api_key="an-key")
            assert {table: loaded_ids(pipeline, table) for table in listed} == expected
            listed = {table: [] for table in listed}


@pytest.fixture
def throttled_sim() -> Iterator[RunningSimulator]:
    """Rate limits on, at 40 requests/s so that the test stays quick."""
    with serve_in_thread(SimConfig(rate_limits=True, an_rate_per_s=40.0, **SMALL)) as running:
        yield running


def test_resources_share_one_rate_budget_without_429s(
    throttled_sim: RunningSimulator, tmp_path: Path
) -> None:
    run_source(make_pipeline(tmp_path), throttled_sim, rate_per_second=40.0)
    assert control(throttled_sim, "/_sim/stats")["throttled"] == {}


def test_requests_overlap_under_latency(small_sim: RunningSimulator, tmp_path: Path) -> None:
    """The server holds each request 50 ms: a walk that keeps several in flight shows them there
    at once (as many as the listings read ahead), one that waits for each answer never does."""
    with configured(small_sim, latency_ms=50):
        reset_stats(small_sim)
        run_source(make_pipeline(tmp_path), small_sim)
    served = control(small_sim, "/_sim/stats")
    assert served["max_in_flight"]["action_network"] >= CONCURRENCY, served["max_in_flight"]


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["live", "doc"])
def test_large_full_load_equals_truth_within_request_budget(dialect: str, tmp_path: Path) -> None:
    config = SimConfig(
        rate_limits=False,
        an_timestamps=dialect,
        an_people=20_000,
        an_actions=52_000,  # a few are dropped as duplicate signatures and taggings
        nb_signups=60,
        nb_donations=20,
        nb_lists=3,
    )
    with serve_in_thread(config) as sim:
        pipeline = make_pipeline(tmp_path)
        reset_stats(sim)
        run_source(pipeline, sim)
        requests = requests_served(sim, "action_network")
        expected = truth(sim)
        an = expected["action_network"]
        assert an["people"]["count"] >= 20_000
        assert sum(an[name]["count"] for name in _ACTIONS) >= 50_000
        assert mismatches(pipeline, expected) == {}
        assert orphans(pipeline) == {}
        needed = minimum_requests(sim, expected)
        assert needed <= requests <= needed * 1.10, (requests, needed)


_ACTIONS = ("signatures", "attendances", "submissions", "donations", "outreaches", "taggings")


def _api_errors(error: BaseException | None) -> Iterator[ApiError]:
    """ApiErrors anywhere in an exception's cause/context chain, nearest first."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ApiError):
            yield error
        error = error.__cause__ or error.__context__
