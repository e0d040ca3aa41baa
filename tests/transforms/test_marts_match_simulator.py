"""The marts against the simulator's ground truth, on data the real sources loaded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.transforms.helpers import (
    contactability_by_person,
    expected_contactability,
    expected_figures,
    extract,
    mart_figures,
    sim_get,
    sim_post,
)
from warehouse.transform import BuildResult, build
from writeback.segment import SEGMENTS_DIR


def small() -> SimConfig:
    """The default population (2k signups, 1k AN people): an extract takes about two seconds."""
    return SimConfig(nb_signups=2_000, an_people=1_000, rate_limits=False)


def large() -> SimConfig:
    return SimConfig(
        nb_signups=20_000,
        nb_donations=8_000,
        an_people=10_000,
        an_actions=25_000,
        rate_limits=False,
    )


@dataclass
class Loaded:
    """A warehouse the real sources filled from the simulator and the runner built."""

    warehouse: Path
    result: BuildResult
    figures: dict[str, Any]
    expected: dict[str, Any]
    truth: dict[str, Any]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()


def load_and_build(sim: RunningSimulator, warehouse: Path, sources: list[str]) -> Loaded:
    extract(sim, warehouse, sources)
    result = build(warehouse)
    truth = sim_get(sim, "/_sim/truth")
    return Loaded(warehouse, result, mart_figures(warehouse), expected_figures(truth), truth)


def contactability_matches_truth(loaded: Loaded) -> bool:
    with duckdb.connect(str(loaded.warehouse), read_only=True) as con:
        return contactability_by_person(con) == expected_contactability(loaded.truth)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(small()) as running:
        yield running


@pytest.fixture(scope="module")
def both(sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load_and_build(
        sim, tmp_path_factory.mktemp("both") / "civic.duckdb", ["nationbuilder", "action_network"]
    )


@pytest.fixture(scope="module")
def after_mutation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """Loaded once, then a day of changes (5% updated, added, deleted) loaded on top."""
    warehouse = tmp_path_factory.mktemp("mutated") / "civic.duckdb"
    with serve_in_thread(small()) as running:
        load_and_build(running, warehouse, ["nationbuilder", "action_network"])
        sim_post(running, "/_sim/mutate", {"fraction": 0.05})
        yield load_and_build(running, warehouse, ["nationbuilder", "action_network"])


def test_build_holds_every_check(both: Loaded) -> None:
    assert both.result.ok and both.result.checks_run > 100
    assert all(stand_in.missing_columns for stand_in in both.result.stand_ins)  # no whole table


def test_people_total_matches_truth(both: Loaded) -> None:
    assert both.figures["people_total"] == both.expected["people_total"]


def test_people_in_both_systems_match_truth(both: Loaded) -> None:
    assert both.figures["people_in_both"] == both.expected["people_in_both"]


def test_donation_counts_per_source_match_truth(both: Loaded) -> None:
    assert both.figures["donations_count"] == both.expected["donations_count"]


def test_donation_cents_per_source_match_truth(both: Loaded) -> None:
    assert both.figures["donations_cents"] == both.expected["donations_cents"]


def test_action_counts_per_type_match_truth(both: Loaded) -> None:
    assert both.figures["actions"] == both.expected["actions"]


def test_contactable_counts_match_truth(both: Loaded) -> None:
    assert both.figures["contactable"] == both.expected["contactable"]


def test_who_may_be_emailed_texted_called_and_why_not_matches_truth_per_person(
    both: Loaded,
) -> None:
    assert contactability_matches_truth(both)


def test_simulator_sends_every_nationbuilder_flag_combination(both: Loaded) -> None:
    combinations = both.query(
        "select count(*) from (select distinct is_email_opted_in, is_mobile_opted_in, "
        "is_do_not_call, is_do_not_contact, is_email1_bad, unsubscribed_at is not null "
        "from analytics_internal.stg_nationbuilder__signups where deleted_at is null)"
    )
    assert combinations == [(2**6,)]


def test_simulator_sends_every_action_network_email_and_phone_status_pairing(
    both: Loaded,
) -> None:
    pairings = both.query(
        "select count(*) from (select distinct a.status, n.person_id is null, n.status "
        "from analytics_internal.int_action_network__email_addresses as a "
        "left join analytics_internal.int_action_network__phone_numbers as n using (person_id) "
        "where a.is_primary)"
    )
    # subscribed, unsubscribed, bouncing, spam complaint, previous bounce; a phone subscribed,
    # unsubscribed, bouncing, without a status, or no phone
    assert pairings == [(5 * 5,)]


def test_when_the_systems_disagree_the_one_that_said_no_wins_and_is_named(both: Loaded) -> None:
    (counts,) = both.query(
        "select count(*) filter (where nationbuilder_email = 'ok' and action_network_email <> 'ok'"
        " and not can_email and email_blocked_by = 'action_network'),"
        " count(*) filter (where action_network_email = 'ok' and nationbuilder_email <> 'ok'"
        " and not can_email and email_blocked_by = 'nationbuilder'),"
        " count(*) filter (where email_blocked_by = 'both' and not can_email)"
        " from analytics.contactability"
    )
    assert all(count > 0 for count in counts), counts


@pytest.mark.parametrize(
    ("segment", "key"),
    [
        (
            "petitioners_never_donated",
            "people.nationbuilder_signup_id = segment.nationbuilder_signup_id",
        ),
        ("an_activists_not_in_nb", "people.primary_email = segment.email"),
    ],
)
def test_saved_segments_leave_out_people_who_cannot_be_emailed(
    both: Loaded, segment: str, key: str
) -> None:
    sql = (SEGMENTS_DIR / f"{segment}.sql").read_text(encoding="utf-8")
    (counts,) = both.query(
        f"with segment as ({sql}) select count(*), count(*) filter (where not c.can_email) "
        "from segment join analytics.people as people on " + key + " "
        "join analytics.contactability as c using (person_id)"
    )
    reached, unreachable = counts
    assert reached > 0 and unreachable == 0


def test_person_tags_per_system_and_tagged_people_match_truth(both: Loaded) -> None:
    assert both.figures["person_tags"] == both.expected["person_tags"]
    assert both.figures["tagged_people"] == both.expected["tagged_people"]


def test_a_tag_named_in_both_systems_finds_people_tagged_in_either(both: Loaded) -> None:
    found = both.query(
        "select source, count(distinct person_id) from analytics.person_tags "
        "where lower(tag) = 'volunteer 3' group by 1 order by 1"
    )
    assert [source for source, _ in found] == ["action_network", "nationbuilder"]


def test_recurring_gifts_and_series_match_truth(both: Loaded) -> None:
    assert both.figures["recurring"] == both.expected["recurring"]


def test_recurring_series_are_active_lapsed_and_unreadable(both: Loaded) -> None:
    by_status = both.figures["recurring"]["series_by_status"]
    assert all(count > 0 for count in by_status.values()), by_status
    assert both.figures["recurring"]["lapsed_monthly_donors"] > 0


def test_every_action_and_donation_has_a_person(both: Loaded) -> None:
    with duckdb.connect(str(both.warehouse), read_only=True) as con:
        orphans = con.execute(
            "select (select count(*) from analytics.actions where person_id is null)"
            " + (select count(*) from analytics.donations where person_id is null)"
        ).fetchone()
    assert orphans == (0,)


def test_after_a_day_of_changes_marts_still_match_truth(after_mutation: Loaded) -> None:
    assert after_mutation.result.ok
    assert after_mutation.figures == after_mutation.expected


def test_after_a_day_of_changes_contactability_still_matches_truth(
    after_mutation: Loaded,
) -> None:
    assert contactability_matches_truth(after_mutation)


def test_deleted_signups_and_donations_are_left_out(after_mutation: Loaded) -> None:
    with duckdb.connect(str(after_mutation.warehouse), read_only=True) as con:
        deleted_people = con.execute(
            "select count(*) from analytics.people as p join nationbuilder.signups as s "
            "on s.id = p.nationbuilder_signup_id where s.deleted_at is not null"
        ).fetchone()
        deleted_donations = con.execute(
            "select count(*) from nationbuilder.donations where deleted_at is not null"
        ).fetchone()
    assert deleted_people == (0,)
    assert deleted_donations is not None and deleted_donations[0] > 0  # there were some to skip


def test_nationbuilder_alone_builds_with_action_network_stood_in(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    loaded = load_and_build(sim, tmp_path / "nb_only.duckdb", ["nationbuilder"])
    truth = sim_get(sim, "/_sim/truth")
    assert loaded.result.ok
    assert any(not s.missing_columns for s in loaded.result.stand_ins)  # AN tables stood in
    assert loaded.figures["people_total"] == truth["nationbuilder"]["signups"]["count"]
    assert loaded.figures["people_in_both"] == 0
    assert loaded.figures["donations_count"] == {
        "nationbuilder": truth["nationbuilder"]["donations"]["count"]
    }
    assert set(loaded.figures["actions"]) == {"petition_signature", "event_rsvp"}


@pytest.mark.slow
def test_larger_population_matches_truth_through_two_days_of_changes(tmp_path: Path) -> None:
    warehouse = tmp_path / "large.duckdb"
    with serve_in_thread(large()) as running:
        loaded = load_and_build(running, warehouse, ["nationbuilder", "action_network"])
        assert loaded.figures == loaded.expected
        for _ in range(2):
            sim_post(running, "/_sim/mutate", {"fraction": 0.05})
            loaded = load_and_build(running, warehouse, ["nationbuilder", "action_network"])
            assert loaded.figures == loaded.expected
