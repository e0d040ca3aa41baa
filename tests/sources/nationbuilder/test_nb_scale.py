"""The issue's scale (50k signups, 20k donations, 30 lists): a first run, then 2% churn."""

from __future__ import annotations

from pathlib import Path

import pytest
from nb_helpers import (
    RequestLog,
    assert_deletions_marked,
    configure,
    first_run,
    id_listing_cost,
    mismatches,
    mutate,
    nb_requests,
    run_nb,
    simulator,
    truth,
)

from sources.nationbuilder.settings import COLLECTIONS
from tests.support.simulator import reset_stats

LARGE = {"nb_signups": 50_000, "nb_donations": 20_000, "nb_lists": 30}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_large_nation_first_and_second_run_equal_truth(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    with simulator(**LARGE) as sim:
        configure(monkeypatch, sim, tmp_path, concurrency=8)
        first, first_log = first_run(sim, warehouse)
        before = truth(sim)
        assert before["signups"]["count"] == LARGE["nb_signups"]
        assert before["donations"]["count"] == LARGE["nb_donations"]
        assert mismatches(warehouse, before) == {}

        changed = mutate(sim, 0.02)
        after = truth(sim)
        log = RequestLog()
        reset_stats(sim)
        run = run_nb(warehouse, registry=log.registry())
        second = nb_requests(sim)
        assert mismatches(warehouse, after) == {}
        assert run.deleted == assert_deletions_marked(warehouse, before, after)

    print(f"\nfirst run {first} requests, second run {second} requests")
    for spec in COLLECTIONS:
        print(
            f"  {spec.name}: first {len(first_log.collection(spec.name))}, second "
            f"{log.full_reads(spec.name)} whole + {log.id_reads(spec.name)} id-only"
        )
    # Whole records re-read in proportion to the change; the sweep bounded by one id listing.
    signups_changed = changed["signups"]["updated"] + changed["signups"]["added"]
    assert log.full_reads("signups") <= id_listing_cost(signups_changed) + 2
    assert log.full_reads("signups") < 0.2 * first_log.full_reads("signups")
    for spec in COLLECTIONS:
        if spec.sweeps_deletions:
            held = len(before[spec.name]["ids"]) + changed.get(spec.name, {}).get("added", 0)
            assert log.id_reads(spec.name) <= id_listing_cost(held) + 1, spec.name
    assert second < 0.35 * first, (second, first)  # far smaller: in proportion to the change
