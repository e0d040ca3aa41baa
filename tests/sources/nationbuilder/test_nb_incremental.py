"""Second runs: only what changed is fetched, deletions are marked, full refresh reloads.

Request counts are deterministic here (seeded simulator, no faults), so the bounds are tight.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nb_helpers import (
    FAST,
    REPLACED,
    SCHEMA,
    SMALL,
    RequestLog,
    assert_deletions_marked,
    configure,
    control,
    first_run,
    id_listing_cost,
    live_pairs,
    mismatches,
    mutate,
    nb_requests,
    oauth_refresh,
    query,
    reset_stats,
    resource_cursors,
    run_nb,
    sim_stats,
    simulator,
    truth,
)

from sources.nationbuilder.settings import COLLECTIONS

SWEPT = [spec.name for spec in COLLECTIONS if spec.sweeps_deletions]


def test_second_run_after_two_percent_churn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The issue's scenario: 2% of records change, then a second run.

    Whole records are re-read only where they changed; the deletion sweep reads ids only and
    never more than one id listing per collection. With the simulator deleting 0.4% of
    signups (and their donations, taggings, ...) scattered over the whole id range, finding
    them takes about one id listing per collection (NB v2 has no deletion feed), and lists
    that lost a member are re-read: the second run is smaller than the first, not far smaller.
    """
    with simulator(**FAST) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        first, first_log = first_run(sim, warehouse)
        before = truth(sim)
        changed = mutate(sim, 0.02)
        after = truth(sim)

        log = RequestLog()
        reset_stats(sim)
        run = run_nb(warehouse, registry=log.registry())
        second = nb_requests(sim)

        assert mismatches(warehouse, after) == {}
        assert run.deleted == assert_deletions_marked(warehouse, before, after)

    assert second < first, (second, first)
    # Whole records: only the changed ones (plus the cursor's overlap), a few pages each.
    signups_changed = changed["signups"]["updated"] + changed["signups"]["added"]
    assert log.full_reads("signups") <= id_listing_cost(signups_changed) + 2
    assert log.full_reads("signups") < 0.2 * first_log.full_reads("signups")
    for name in SWEPT:
        assert log.full_reads(name) <= 3, name
        # The sweep: a count, then no more than one listing of the ids already held.
        held = len(before[name]["ids"]) + changed.get(name, {}).get("added", 0)
        assert log.id_reads(name) <= id_listing_cost(held) + 1, name
    # Lists are re-read only when their size or updated_at moved.
    lists_read = {
        url.path for url in log.urls if url.path.endswith("/signups") and "/lists/" in url.path
    }
    assert len(lists_read) < FAST["nb_lists"]


def test_second_run_after_light_churn_is_far_smaller(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """0.2% churn (6 signups changed, 1 deleted): the second run costs a fraction of the first."""
    with simulator(**FAST) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        first, first_log = first_run(sim, warehouse)
        before = truth(sim)
        mutate(sim, 0.002)
        after = truth(sim)

        log = RequestLog()
        reset_stats(sim)
        run_nb(warehouse, registry=log.registry())
        second = nb_requests(sim)

        assert mismatches(warehouse, after) == {}
        assert_deletions_marked(warehouse, before, after)

    assert second < 0.4 * first, (second, first)
    signups_first = len(first_log.collection("signups"))
    assert len(log.collection("signups")) < 0.35 * signups_first
    assert log.full_reads("signups") < 0.1 * signups_first


def test_unchanged_nation_costs_a_few_requests_per_collection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with simulator(**SMALL) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        first_run(sim, warehouse)
        log = RequestLog()
        reset_stats(sim)
        run = run_nb(warehouse, registry=log.registry())
        second = nb_requests(sim)
        assert mismatches(warehouse, truth(sim)) == {}
    assert run.deleted == 0
    assert not any("/lists/" in url.path for url in log.urls), "no list changed"
    for name in SWEPT:
        assert log.id_reads(name) <= 1, name  # one count says nothing was deleted
    assert second <= 3 * len(COLLECTIONS) + 2


def test_full_refresh_reloads_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with simulator(**SMALL) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        first, _ = first_run(sim, warehouse)
        mutate(sim, 0.05)
        run_nb(warehouse)  # an incremental run marks the deletions
        mutate(sim, 0.05)
        expected = truth(sim)

        reset_stats(sim)
        run = run_nb(warehouse, full_refresh=True)
        assert nb_requests(sim) >= first * 0.9, "a full refresh reads everything again"
        assert mismatches(warehouse, expected) == {}
        # Reloaded whole: no row of a deleted record is left, marked or not.
        for name in [*SWEPT, *REPLACED]:
            (rows,) = query(warehouse, f"select count(*) from {SCHEMA}.{name}")[0]
            assert rows == expected[name]["count"], name
        pairs = [tuple(p) for p in expected["list_signups"]["pairs"]]
        assert live_pairs(warehouse, live_signups_only=False) == pairs
        (rows,) = query(warehouse, f"select count(*) from {SCHEMA}.list_signups")[0]
        assert rows == len(pairs)
        assert run.rows["signups"] == expected["signups"]["count"]

        # Incremental runs carry on from the refreshed state.
        mutate(sim, 0.02)
        run_nb(warehouse)
        assert mismatches(warehouse, truth(sim)) == {}


def test_failed_run_moves_no_cursor_and_the_next_run_catches_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The token dies mid-way through the second run (a fatal 401): nothing of that run lands,
    no cursor moves, and the run after it, with a new token, lands exactly the truth."""
    with simulator(**SMALL) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        used, _ = first_run(sim, warehouse)  # every request so far used the one token
        cursors = resource_cursors(warehouse)
        (loads,) = query(warehouse, f"select count(*) from {SCHEMA}._dlt_loads")[0]
        mutate(sim, 0.05)
        expected = truth(sim)

        fail_after = 30
        control(sim, "/_sim/config", {"nb_token_ttl_requests": used + fail_after})
        reset_stats(sim)
        failed = run_nb(warehouse, ok=False)
        assert failed.error is not None
        assert "401 token_expired" in failed.error and "\n" not in failed.error
        stats = sim_stats(sim)
        assert stats["requests"]["nationbuilder"] > fail_after, "the run failed mid-way"
        assert stats["unauthorized"].get("nationbuilder", 0) >= 1

        assert resource_cursors(warehouse) == cursors
        assert query(warehouse, f"select count(*) from {SCHEMA}._dlt_loads")[0] == (loads,)
        assert mismatches(warehouse, expected) != {}, "nothing of the failed run landed"

        new_token = oauth_refresh(sim, sim.config.nb_refresh_token)["access_token"]
        control(sim, "/_sim/config", {"nb_token_ttl_requests": None})
        monkeypatch.setenv("SOURCES__NATIONBUILDER__ACCESS_TOKEN", new_token)
        run_nb(warehouse)
        assert mismatches(warehouse, expected) == {}
        assert resource_cursors(warehouse)["signups"] > cursors["signups"]
