"""The saved Action Network segments on a real night's warehouse, through `civic-etl` itself.

NationBuilder volunteers not in Action Network are upserted, then everyone who RSVP'd to a
NationBuilder event is tagged: afterwards the group holds exactly the segments' people (with
the statuses their contactability allows), a second run sends no write, a dry run neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cli import Result, run_cli
from tests.support.nights import FirstNight, run_first_night
from tests.support.simulator import an_people_by_email, an_tag_members, reset_stats
from tests.support.warehouse import query, records
from tests.writeback.helpers import writes
from writeback import SEGMENTS_DIR

UPSERT = ("an-upsert-people", "--query", "nb_volunteers_not_in_an")
TAG = ("an-tag", "--tag", "nb-event-rsvp", "--query", "nb_event_rsvps", "--remove-others")


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstNight]:
    """A night's warehouse and the simulator it came from, for this module to write to."""
    with run_first_night(tmp_path_factory.mktemp("an_segments")) as made:
        yield made


def civic_etl(night: FirstNight, *args: str) -> Result:
    result = run_cli(*args, "--warehouse", str(night.warehouse), env=night.env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def segment(night: FirstNight, name: str) -> list[dict[str, Any]]:
    """A saved segment's rows, each with what the contactability mart says of its person."""
    sql = (SEGMENTS_DIR / f"{name}.sql").read_text()
    return records(
        night.warehouse,
        f"select segment.*, contactability.can_email, contactability.can_text from ({sql})"
        " as segment left join analytics.contactability as contactability"
        " on contactability.person_id = segment.person_id",
    )


def test_volunteers_are_upserted_with_the_statuses_their_contactability_allows(
    night: FirstNight,
) -> None:
    volunteers = segment(night, "nb_volunteers_not_in_an")
    assert volunteers and any(v["can_email"] for v in volunteers)
    assert any(not v["can_email"] for v in volunteers if v["email"])
    reset_stats(night.sim)
    civic_etl(night, *UPSERT, "--dry-run")
    assert writes(night.sim, "action_network") == {}
    civic_etl(night, *UPSERT)
    group = an_people_by_email(night.sim)
    for row in (v for v in volunteers if v["email"]):
        held = group[row["email"]]
        assert (held["given_name"], held["family_name"]) == (row["first_name"], row["last_name"])
        (address,) = held["email_addresses"]
        assert address["status"] == ("subscribed" if row["can_email"] else "unsubscribed")
        if row["mobile_number"]:
            texts = "subscribed" if row["can_text"] else "unsubscribed"
            assert held["phone_numbers"][0]["status"] == texts
    reset_stats(night.sim)
    again = civic_etl(night, *UPSERT)
    assert writes(night.sim, "action_network") == {}
    assert "nothing to send" in again.stdout


def test_rsvpers_in_action_network_carry_the_tag_and_nobody_else(night: FirstNight) -> None:
    civic_etl(night, *UPSERT)  # RSVPers who are volunteers join Action Network first
    group = an_people_by_email(night.sim)
    rsvpers = segment(night, "nb_event_rsvps")
    expected = {
        row["action_network_person_id"] or group[row["email"]]["id"]
        for row in rsvpers
        if row["action_network_person_id"] or row["email"] in group
    }
    found_by_email = {row["email"] for row in rsvpers if not row["action_network_person_id"]}
    assert found_by_email & set(group), "some RSVPers joined Action Network since the extract"
    reset_stats(night.sim)
    dry = civic_etl(night, *TAG, "--dry-run")
    assert dry.stdout.startswith("Dry run, nothing sent")
    assert writes(night.sim, "action_network") == {}
    assert an_tag_members(night.sim, "nb-event-rsvp") is None
    civic_etl(night, *TAG)
    assert an_tag_members(night.sim, "nb-event-rsvp") == expected
    reset_stats(night.sim)
    again = civic_etl(night, *TAG)
    assert writes(night.sim, "action_network") == {}
    assert "nothing to send" in again.stdout
    logged = query(night.warehouse, "select people, added from civic_etl.an_tag_pushes")
    assert logged == [(len(expected), len(expected)), (len(expected), 0)]
