"""The project's models on hand-made raw rows: matching, deletions, money, engagement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from tests.transforms.helpers import built_tables, insert_raw, rows_of, tables_in
from warehouse.transform import build, load_project

AN = "action_network:"
EARLY = datetime(2024, 1, 1, tzinfo=UTC)
LATER = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def signup(signup_id: int, *emails: str | None, **extra: Any) -> dict[str, Any]:
    slots = [*emails, None, None, None, None][:4]
    return {
        "id": signup_id,
        "first_name": f"First{signup_id}",
        "last_name": f"Last{signup_id}",
        "email": slots[0],
        "email1": slots[0],
        "email2": slots[1],
        "email3": slots[2],
        "email4": slots[3],
        "created_at": EARLY,
        "deleted_at": None,
        **extra,
    }


def an_person(uuid: str, *emails: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": AN + uuid,
        "given_name": f"Given-{uuid}",
        "family_name": "Family",
        "primary_email": emails[0] if emails else None,
        "email_addresses": [
            {"primary": index == 0, "address": email, "status": "subscribed"}
            for index, email in enumerate(emails)
        ],
        "created_at": LATER,
        **extra,
    }


def people(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return rows_of(
        con,
        "(select nationbuilder_signup_id, action_network_person_id, is_in_nationbuilder, "
        "is_in_action_network from analytics.people)",
    )


def test_an_empty_warehouse_builds_every_model_with_no_rows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    result = build(con)
    assert result.ok
    assert {run.rows for run in result.models} == {0}
    assert len(result.stand_ins) == len(
        {source for model in load_project().models.values() for source in model.sources}
    )
    models = load_project().models
    assert set(built_tables(con)) == set(models)
    assert set(tables_in(con, "analytics")) == {n for n, m in models.items() if m.layer == "marts"}


def test_records_sharing_a_non_primary_email_in_another_case_are_one_person(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "work.maya@x.org", " Maya@X.org  ")])
    insert_raw(con, "action_network", "people", [an_person("a", "alt.maya@x.org", "MAYA@x.org")])
    build(con)
    assert people(con) == [(1, AN + "a", True, True)]


def test_people_without_any_email_stay_separate(con: duckdb.DuckDBPyConnection) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1), signup(2, "", "  ")])
    insert_raw(con, "action_network", "people", [an_person("a")])
    build(con)
    assert people(con) == [
        (1, None, True, False),
        (2, None, True, False),
        (None, AN + "a", False, True),
    ]


def test_a_chain_of_shared_emails_is_one_person(con: duckdb.DuckDBPyConnection) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "a@x.org"), signup(2, "b@x.org")])
    insert_raw(con, "action_network", "people", [an_person("m", "a@x.org", "b@x.org")])
    build(con)
    row = con.execute(
        "select count(*), max(source_records_count), max(nationbuilder_signup_id) "
        "from analytics.people"
    ).fetchone()
    assert row == (1, 3, 1)  # the first-seen NationBuilder record speaks for the person


def test_person_id_stays_when_the_person_joins_the_other_system(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "maya@x.org")])
    build(con)
    before = con.execute("select person_id from analytics.people").fetchall()
    insert_raw(con, "action_network", "people", [an_person("a", "maya@x.org")])
    build(con)
    after = con.execute("select person_id, is_in_action_network from analytics.people").fetchall()
    assert after == [(before[0][0], True)]


def test_names_and_primary_email_come_from_nationbuilder(con: duckdb.DuckDBPyConnection) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, " Maya@X.org", created_at=LATER)])
    insert_raw(con, "action_network", "people", [an_person("a", "maya@x.org", created_at=EARLY)])
    build(con)
    row = con.execute(
        "select first_name, primary_email, first_seen_at, first_seen_source from analytics.people"
    ).fetchone()
    assert row == ("First1", "maya@x.org", EARLY, "action_network")


def test_deleted_signups_are_not_people_and_leave_no_list_memberships(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(
        con,
        "nationbuilder",
        "signups",
        [signup(1, "a@x.org"), signup(2, "b@x.org", deleted_at=LATER)],
    )
    insert_raw(con, "nationbuilder", "lists", [{"id": 10, "name": "Volunteers"}])
    insert_raw(
        con,
        "nationbuilder",
        "list_signups",
        [
            {"list_id": 10, "signup_id": 1, "deleted_at": None},
            {"list_id": 10, "signup_id": 2, "deleted_at": None},
        ],
    )
    build(con)
    assert people(con) == [(1, None, True, False)]
    assert rows_of(
        con, "(select list_name, nationbuilder_signup_id from analytics.list_memberships)"
    ) == [("Volunteers", 1)]


def test_donations_are_currency_aware_and_skip_deleted_ones(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "a@x.org")])
    insert_raw(con, "action_network", "people", [an_person("a", "a@x.org")])
    insert_raw(
        con,
        "nationbuilder",
        "donations",
        [
            {"id": 1, "signup_id": 1, "amount_in_cents": 2501, "status": "succeeded"},
            {"id": 2, "signup_id": 1, "amount_in_cents": 900, "deleted_at": LATER},
        ],
    )
    insert_raw(
        con,
        "action_network",
        "fundraising_pages",
        [{"id": AN + "page", "title": "Spring drive", "currency": "CAD"}],
    )
    insert_raw(
        con,
        "action_network",
        "donations",
        [
            {"id": AN + "d1", "person_id": AN + "a", "amount_cents": 1000, "currency": "usd"},
            {
                "id": AN + "d2",
                "person_id": AN + "a",
                "fundraising_page_id": AN + "page",
                "amount_cents": 2000,
                "currency": None,
            },
        ],
    )
    build(con)
    assert rows_of(
        con,
        "(select source, amount_cents, amount, currency, page_title, is_succeeded, "
        "person_id is not null from analytics.donations)",
    ) == [
        ("action_network", 1000, Decimal("10.00"), "USD", None, True, True),
        ("action_network", 2000, Decimal("20.00"), "CAD", "Spring drive", True, True),
        ("nationbuilder", 2501, Decimal("25.01"), "USD", None, True, True),
    ]
    assert con.execute("select count(distinct person_id) from analytics.donations").fetchone() == (
        1,
    )


def test_actions_are_named_after_what_they_were_taken_on(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "a@x.org")])
    insert_raw(con, "nationbuilder", "petitions", [{"id": 5, "intro": "Fund the libraries"}])
    insert_raw(con, "nationbuilder", "events", [{"id": 6, "venue_name": "Hall 6"}])
    insert_raw(
        con,
        "nationbuilder",
        "petition_signatures",
        [{"id": 1, "petition_id": 5, "signup_id": 1, "created_at": EARLY}],
    )
    insert_raw(
        con,
        "nationbuilder",
        "event_rsvps",
        [
            {"id": 1, "event_id": 6, "signup_id": 1, "created_at": LATER},
            {"id": 2, "event_id": 6, "signup_id": 1, "created_at": LATER, "deleted_at": LATER},
        ],
    )
    insert_raw(con, "action_network", "people", [an_person("a", "a@x.org")])
    insert_raw(con, "action_network", "petitions", [{"id": AN + "p", "name": "internal only"}])
    insert_raw(
        con,
        "action_network",
        "signatures",
        [{"id": AN + "s", "person_id": AN + "a", "petition_id": AN + "p", "created_at": LATER}],
    )
    build(con)
    assert rows_of(
        con,
        "(select action_id, action_type, action_name, source from analytics.actions)",
    ) == [
        ("action_network:signature:s", "signature", "internal only", "action_network"),
        ("nationbuilder:event_rsvp:1", "event_rsvp", "Hall 6", "nationbuilder"),
        (
            "nationbuilder:petition_signature:1",
            "petition_signature",
            "Fund the libraries",
            "nationbuilder",
        ),
    ]
    assert con.execute("select count(distinct person_id) from analytics.actions").fetchone() == (1,)


def test_engagement_answers_signed_three_petitions_never_donated(
    con: duckdb.DuckDBPyConnection,
) -> None:
    recent = datetime.now(UTC) - timedelta(days=3)
    insert_raw(
        con, "nationbuilder", "signups", [signup(1, "signer@x.org"), signup(2, "donor@x.org")]
    )
    insert_raw(
        con,
        "nationbuilder",
        "petition_signatures",
        [{"id": i, "petition_id": i, "signup_id": 1, "created_at": EARLY} for i in (1, 2)],
    )
    insert_raw(con, "action_network", "people", [an_person("a", "signer@x.org")])
    insert_raw(
        con,
        "action_network",
        "signatures",
        [{"id": AN + "s", "person_id": AN + "a", "petition_id": AN + "p", "created_at": recent}],
    )
    insert_raw(
        con,
        "nationbuilder",
        "donations",
        [
            {
                "id": 1,
                "signup_id": 2,
                "amount_in_cents": 500,
                "status": "succeeded",
                "created_at": EARLY,
            },
            {
                "id": 2,
                "signup_id": 1,
                "amount_in_cents": 700,
                "status": "failed",
                "created_at": recent,
            },
        ],
    )
    build(con)
    found = con.execute(
        "select p.nationbuilder_signup_id, e.petitions_signed, e.recency, e.last_active_at "
        "from analytics.person_engagement as e join analytics.people as p using (person_id) "
        "where e.petitions_signed >= 3 and not e.has_donated"
    ).fetchall()
    assert found == [(1, 3, "active_30d", recent)]
    donor = con.execute(
        "select e.donations_count, e.donations_total_usd, e.recency "
        "from analytics.person_engagement as e join analytics.people as p using (person_id) "
        "where p.nationbuilder_signup_id = 2"
    ).fetchone()
    assert donor == (1, Decimal("5.00"), "lapsed")


def test_daily_activity_counts_each_person_once_on_their_first_day(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "a@x.org", created_at=LATER)])
    insert_raw(con, "action_network", "people", [an_person("a", "a@x.org", created_at=EARLY)])
    build(con)
    assert rows_of(
        con, "(select activity_date, source, new_people from analytics.daily_activity)"
    ) == [(EARLY.date(), "action_network", 1)]


def test_the_same_id_in_two_action_network_collections_makes_two_actions(
    con: duckdb.DuckDBPyConnection,
) -> None:
    shared = AN + "same"
    insert_raw(con, "action_network", "people", [an_person("a", "a@x.org", created_at=EARLY)])
    insert_raw(
        con,
        "action_network",
        "donations",
        [
            {
                "id": shared,
                "person_id": AN + "a",
                "amount_cents": 500,
                "currency": "USD",
                "created_at": EARLY,
            }
        ],
    )
    insert_raw(
        con,
        "action_network",
        "outreaches",
        [{"id": shared, "person_id": AN + "a", "created_at": EARLY}],
    )
    assert build(con).ok
    assert rows_of(
        con, "(select action_id, action_type, source_action_id from analytics.actions)"
    ) == [
        ("action_network:donation:same", "donation", shared),
        ("action_network:outreach:same", "outreach", shared),
    ]
    assert rows_of(con, "(select donation_id, source_donation_id from analytics.donations)") == [
        ("action_network:donation:same", shared)
    ]
    assert rows_of(
        con,
        "(select activity_date, new_people, actions_count, donations_count "
        "from analytics.daily_activity)",
    ) == [(EARLY.date(), 1, 2, 1)]
    assert rows_of(
        con, "(select donation_actions, outreach_actions from analytics.person_engagement)"
    ) == [(1, 1)]


def test_undated_records_make_no_daily_activity_row_with_a_null_day(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(
        con,
        "nationbuilder",
        "signups",
        [signup(1, "a@x.org"), signup(2, "b@x.org", created_at=None)],
    )
    insert_raw(
        con,
        "nationbuilder",
        "petition_signatures",
        [
            {"id": 1, "petition_id": 5, "signup_id": 1, "created_at": LATER},
            {"id": 2, "petition_id": 5, "signup_id": 1, "created_at": None},
        ],
    )
    insert_raw(
        con,
        "nationbuilder",
        "donations",
        [{"id": 1, "signup_id": 1, "amount_in_cents": 500, "status": "succeeded"}],
    )
    assert build(con).ok
    assert rows_of(
        con,
        "(select activity_date, source, new_people, actions_count, donations_count "
        "from analytics.daily_activity)",
    ) == [(EARLY.date(), "nationbuilder", 1, 0, 0), (LATER.date(), "nationbuilder", 0, 1, 0)]
    assert con.execute(
        "select (select count(*) from analytics.people), (select count(*) from analytics.actions),"
        " (select count(*) from analytics.donations)"
    ).fetchone() == (2, 2, 1)  # the undated ones are still in their marts


def contact(con: duckdb.DuckDBPyConnection, columns: str) -> list[tuple[Any, ...]]:
    """Contactability columns by the person's NationBuilder signup id (None: Action Network)."""
    return rows_of(
        con,
        f"(select p.nationbuilder_signup_id, {columns} from analytics.contactability "
        "join analytics.people as p using (person_id))",
    )


def test_the_stricter_system_wins_and_is_named(con: duckdb.DuckDBPyConnection) -> None:
    opted_in = {"email_opt_in": True, "mobile_opt_in": True, "mobile_number": "9715550001"}
    insert_raw(
        con,
        "nationbuilder",
        "signups",
        [
            signup(1, "a@x.org", **opted_in),  # AN: unsubscribed
            signup(2, "b@x.org", email_opt_in=False),  # AN: spam complaint
            signup(3, "c@x.org", **opted_in, do_not_contact=True),  # AN: subscribed
            signup(4, "d@x.org", **opted_in),  # NB only
        ],
    )

    def person(uuid: str, email: str, status: str, phone: dict[str, Any] | None = None) -> Any:
        return an_person(
            uuid,
            email_addresses=[{"primary": True, "address": email, "status": status}],
            phone_numbers=[phone] if phone else [],
        )

    insert_raw(
        con,
        "action_network",
        "people",
        [
            person("a", "a@x.org", "unsubscribed", {"number": "1520", "status": "subscribed"}),
            person("b", "b@x.org", "spam complaint"),
            person("c", "c@x.org", "subscribed", {"number": "1521", "status": "subscribed"}),
            person("e", "e@x.org", "pending", {"number": "1522", "status": "Bouncing"}),
        ],
    )
    assert build(con).ok
    assert contact(
        con,
        "can_email, email_blocked_reason, email_blocked_by, nationbuilder_email, "
        "action_network_email",
    ) == [
        (1, False, "unsubscribed", "action_network", "ok", "unsubscribed"),
        (2, False, "spam_complaint", "both", "not_opted_in", "spam_complaint"),
        (3, False, "do_not_contact", "nationbuilder", "do_not_contact", "ok"),
        (4, True, None, None, "ok", None),
        (None, False, "not_subscribed", "action_network", None, "not_subscribed"),
    ]
    assert contact(con, "can_text, text_blocked_reason, can_call, call_blocked_reason") == [
        (1, True, None, True, None),
        (2, False, "no_mobile", False, "no_phone"),
        (3, False, "do_not_contact", False, "do_not_contact"),
        (4, True, None, True, None),
        (None, False, "bouncing", True, None),  # Action Network has no calling preference
    ]


def test_only_the_primary_address_flags_stop_email(con: duckdb.DuckDBPyConnection) -> None:
    insert_raw(
        con,
        "nationbuilder",
        "signups",
        [
            signup(1, "a@x.org", "old@x.org", email_opt_in=True, email2_is_bad=True),
            signup(2, "b@x.org", email_opt_in=True, email1_is_bouncing=True),
            signup(3, "c@x.org", email_opt_in=True, unsubscribed_at=LATER),
            signup(4, email_opt_in=True, do_not_call=True, phone_number="5035550001"),
        ],
    )
    assert build(con).ok
    assert contact(con, "can_email, email_blocked_reason, can_call, call_blocked_reason") == [
        (1, True, None, False, "no_phone"),
        (2, False, "bouncing", False, "no_phone"),
        (3, False, "unsubscribed", False, "no_phone"),
        (4, False, "no_email", False, "do_not_call"),
    ]


def test_person_tags_from_both_systems_and_their_counts(con: duckdb.DuckDBPyConnection) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "a@x.org"), signup(2, "b@x.org")])
    insert_raw(
        con,
        "nationbuilder",
        "signup_tags",
        [{"id": 7, "name": " Volunteer "}, {"id": 8, "name": "Donor"}, {"id": 9, "name": ""}],
    )
    insert_raw(
        con,
        "nationbuilder",
        "signup_taggings",
        [
            {"id": 1, "signup_id": 1, "tag_id": 7, "created_at": LATER},
            {"id": 2, "signup_id": 1, "tag_id": 8, "created_at": EARLY, "deleted_at": LATER},
            {"id": 3, "signup_id": 1, "tag_id": 9, "created_at": EARLY},  # no name
            {"id": 4, "signup_id": 2, "tag_id": 99, "created_at": EARLY},  # tag not loaded
        ],
    )
    insert_raw(con, "action_network", "people", [an_person("a", "a@x.org")])
    insert_raw(
        con,
        "action_network",
        "tags",
        [{"id": AN + "t1", "name": "volunteer"}, {"id": AN + "t2", "name": "Phone bank"}],
    )
    insert_raw(
        con,
        "action_network",
        "taggings",
        [
            {"id": AN + "g1", "person_id": AN + "a", "tag_id": AN + "t1", "created_at": EARLY},
            {"id": AN + "g2", "person_id": AN + "a", "tag_id": AN + "t2", "created_at": LATER},
        ],
    )
    assert build(con).ok
    assert rows_of(con, "(select source, tag, tagged_at from analytics.person_tags)") == [
        ("action_network", "Phone bank", LATER),
        ("action_network", "volunteer", EARLY),
        ("nationbuilder", "Volunteer", LATER),
    ]
    assert rows_of(
        con,
        "(select p.nationbuilder_signup_id, e.tags_count, e.nationbuilder_tags_count, "
        "e.action_network_tags_count from analytics.person_engagement as e "
        "join analytics.people as p using (person_id))",
    ) == [(1, 2, 1, 2), (2, 0, 0, 0)]


def an_gift(uuid: str, person: str, at: datetime, period: str | None = None) -> dict[str, Any]:
    return {
        "id": AN + uuid,
        "person_id": AN + person,
        "amount_cents": 1000,
        "currency": "USD",
        "is_recurring": period is not None,
        "recurrence_period": period,
        "created_at": at,
    }


def test_recurring_donors_lapse_a_week_after_a_missed_gift_as_of_the_newest_data(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert_raw(con, "nationbuilder", "signups", [signup(1, "nb@x.org")])
    insert_raw(
        con,
        "nationbuilder",
        "donations",
        [
            {
                "id": 1,
                "signup_id": 1,
                "amount_in_cents": 500,
                "status": "succeeded",
                "created_at": EARLY,
            }
        ],
    )
    insert_raw(
        con,
        "action_network",
        "people",
        [an_person(uuid, f"{uuid}@x.org") for uuid in ("m", "l", "w", "s")],
    )
    jan31 = datetime(2024, 1, 31, 12, tzinfo=UTC)
    newest = datetime(2024, 3, 7, 12, tzinfo=UTC)  # Feb 29 (Jan 31 + 1 month) + 7 days
    insert_raw(
        con,
        "action_network",
        "donations",
        [
            an_gift("m1", "m", jan31 - timedelta(days=31), "Monthly"),
            an_gift("m2", "m", jan31, "Monthly"),  # due Feb 29: a week late, not lapsed yet
            an_gift("l1", "l", jan31 - timedelta(seconds=1), " monthly "),  # due Feb 29, lapsed
            an_gift("w1", "w", newest - timedelta(days=14), "Weekly"),  # due a week ago: active
            an_gift("s1", "s", jan31, "Mensual"),  # a period it cannot read
            an_gift("one-off", "s", newest),  # the newest gift Action Network holds
        ],
    )
    assert build(con).ok
    assert rows_of(
        con,
        "(select p.action_network_person_id, r.recurrence_period, r.is_monthly, r.gifts_count,"
        " r.next_gift_due_at, r.is_lapsed, r.status from analytics.recurring_donors as r"
        " join analytics.people as p using (person_id))",
    ) == [
        (
            AN + "l",
            "monthly",
            True,
            1,
            datetime(2024, 2, 29, 11, 59, 59, tzinfo=UTC),
            True,
            "lapsed",
        ),
        (AN + "m", "monthly", True, 2, datetime(2024, 2, 29, 12, tzinfo=UTC), False, "active"),
        (AN + "s", "mensual", False, 1, None, None, "unknown_period"),
        (AN + "w", "weekly", False, 1, newest - timedelta(days=7), False, "active"),
    ]
    assert rows_of(
        con,
        "(select source, is_recurring, recurrence_period, first_gift_at, last_gift_at "
        "from analytics.donations where source_donation_id in ('1', 'action_network:m1'))",
    ) == [
        ("action_network", True, "monthly", jan31 - timedelta(days=31), jan31),
        ("nationbuilder", None, None, EARLY, EARLY),
    ]
