"""Second runs: only what changed is fetched, deletions are marked, full refresh reloads.

Request counts are deterministic here (seeded simulator, no faults), so the bounds are tight.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nb_helpers import (
    FAST,
    REPLACED,
    SCHEMA,
    SMALL,
    RequestLog,
    assert_deletions_marked,
    configure,
    first_run,
    id_listing_cost,
    live_pairs,
    mismatches,
    mutate,
    nb_requests,
    oauth_refresh,
    query,
    resource_cursors,
    run_nb,
    simulator,
    truth,
)

from pipelines.extract import SourceRun
from sources.nationbuilder.settings import COLLECTIONS
from tests.support.simulator import control, reset_stats, stats
from tests.support.warehouse import execute

SWEPT = [spec.name for spec in COLLECTIONS if spec.sweeps_deletions]


@dataclass
class Churn:
    """A first run, 2% of the nation changed (0.4% of signups deleted), then a second run."""

    warehouse: Path
    before: dict[str, Any]
    after: dict[str, Any]
    changed: dict[str, Any]
    first: int
    first_log: RequestLog
    second: int
    log: RequestLog
    run: SourceRun


@pytest.fixture(scope="module")
def churn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Churn]:
    folder = tmp_path_factory.mktemp("nb_churn")
    warehouse = folder / "w.duckdb"
    with simulator(**FAST) as sim, pytest.MonkeyPatch.context() as env:
        configure(env, sim, folder)
        first, first_log = first_run(sim, warehouse)
        before = truth(sim)
        changed = mutate(sim, 0.02)
        after = truth(sim)
        log = RequestLog()
        reset_stats(sim)
        run = run_nb(warehouse, registry=log.registry())
        second = nb_requests(sim)
        yield Churn(warehouse, before, after, changed, first, first_log, second, log, run)


def test_churn_tables_equal_truth(churn: Churn) -> None:
    assert mismatches(churn.warehouse, churn.after) == {}


def test_churn_deletions_are_marked_and_recorded(churn: Churn) -> None:
    assert churn.after["deleted"]["signups"], "the mutation deleted signups"
    marked = assert_deletions_marked(churn.warehouse, churn.before, churn.after)
    assert churn.run.deleted == marked


def test_churn_rereads_whole_records_only_where_they_changed(churn: Churn) -> None:
    log, changed = churn.log, churn.changed
    signups_changed = changed["signups"]["updated"] + changed["signups"]["added"]
    assert log.full_reads("signups") <= id_listing_cost(signups_changed) + 2
    assert log.full_reads("signups") < 0.2 * churn.first_log.full_reads("signups")
    for name in SWEPT:
        assert log.full_reads(name) <= 3, name


def test_churn_sweep_costs_at_most_one_id_listing(churn: Churn) -> None:
    """A count, then bisection or a listing of the ids held, whichever is expected cheaper."""
    for name in SWEPT:
        held = len(churn.before[name]["ids"]) + churn.changed.get(name, {}).get("added", 0)
        assert churn.log.id_reads(name) <= id_listing_cost(held) + 1, name


def test_churn_rereads_only_lists_changed_beyond_deleted_people(churn: Churn) -> None:
    def members(truth_: dict[str, Any]) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for list_id, signup_id in truth_["list_signups"]["pairs"]:
            found.setdefault(list_id, set()).add(signup_id)
        return found

    # People deleted from the nation leave their lists too: the signups sweep already knows
    # them, so only lists that changed in another way are read again.
    gone = set(churn.before["signups"]["ids"]) - set(churn.after["signups"]["ids"])
    before, after = members(churn.before), members(churn.after)
    changed = {
        i for i in churn.after["lists"]["ids"] if before.get(i, set()) - gone != after.get(i, set())
    }
    read = {
        int(url.path.split("/")[-2])
        for url in churn.log.urls
        if "/lists/" in url.path and url.path.endswith("/signups")
    }
    assert read == changed
    assert len(read) < len(churn.after["lists"]["ids"])


def test_churn_second_run_costs_less_than_the_first(churn: Churn) -> None:
    assert churn.second < churn.first, (churn.second, churn.first)
    assert len(churn.log.urls) == churn.second
    # Measured: 219 requests and 14.7 MB, then 187 requests and 2.1 MB. Most of the second
    # run's requests are id-only (sweeps, list members): small pages.
    assert churn.log.bytes_received() < 0.2 * churn.first_log.bytes_received()


def test_churn_second_run_is_far_smaller_than_the_first(churn: Churn) -> None:
    """2% of rows changed and 0.04% deleted (the simulator's default day): deletions are found
    by counting id ranges, and lists that only lost deleted people are not read again."""
    assert churn.second < 0.5 * churn.first, (churn.second, churn.first)


# Light churn (with its deletions) is in the fast suite; a fifth deleted is the slow case.
@pytest.mark.slow
def test_heavy_deletions_still_land_exactly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """0.5% of signups deleted in a day (ten times a busy nation): the sweep falls back to id
    listings, which cost more, but every deletion is marked and nothing live is lost."""
    with simulator(**FAST) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        first_run(sim, warehouse)
        before = truth(sim)
        mutate(sim, 0.02, delete_fraction=0.005)
        after = truth(sim)
        run_nb(warehouse)
        assert mismatches(warehouse, after) == {}
        assert_deletions_marked(warehouse, before, after)


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

    assert second < 0.4 * first, (second, first)  # measured: 82 of 219
    assert log.bytes_received() < 0.05 * first_log.bytes_received()
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
        served = stats(sim)
        assert served["requests"]["nationbuilder"] > fail_after, "the run failed mid-way"
        assert served["unauthorized"].get("nationbuilder", 0) >= 1

        assert resource_cursors(warehouse) == cursors
        assert query(warehouse, f"select count(*) from {SCHEMA}._dlt_loads")[0] == (loads,)
        assert mismatches(warehouse, expected) != {}, "nothing of the failed run landed"

        new_token = oauth_refresh(sim, sim.config.nb_refresh_token)["access_token"]
        control(sim, "/_sim/config", {"nb_token_ttl_requests": None})
        monkeypatch.setenv("SOURCES__NATIONBUILDER__ACCESS_TOKEN", new_token)
        run_nb(warehouse)
        assert mismatches(warehouse, expected) == {}
        assert resource_cursors(warehouse)["signups"] > cursors["signups"]


# test_cli_busy's failed load, landed by the next run, is the same case through the CLI.
@pytest.mark.slow
def test_failed_load_is_landed_before_the_next_extract(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Extract succeeds (cursors move in the package's state) but the load fails: the package
    stays pending, and the next run lands it before extracting anew, so nothing is lost."""
    with simulator(**SMALL) as sim:
        configure(monkeypatch, sim, tmp_path)
        warehouse = tmp_path / "w.duckdb"
        first_run(sim, warehouse)
        mutate(sim, 0.05)
        expected = truth(sim)
        # A view where the table was: the warehouse says it is there, and a merge into it fails.
        execute(warehouse, f"alter table {SCHEMA}.signups rename to signups_away")
        execute(warehouse, f"create view {SCHEMA}.signups as select * from {SCHEMA}.signups_away")
        failed = run_nb(warehouse, ok=False)
        assert failed.error is not None and "\n" not in failed.error
        execute(warehouse, f"drop view {SCHEMA}.signups")
        execute(warehouse, f"alter table {SCHEMA}.signups_away rename to signups")

        run_nb(warehouse)
        assert mismatches(warehouse, expected) == {}
