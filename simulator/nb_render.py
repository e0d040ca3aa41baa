"""Render the simulator's NationBuilder rows as the live API prints them (JSON:API, v1 JSON)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from simulator.store import cents_to_amount

PDT, PST = timezone(timedelta(hours=-7)), timezone(timedelta(hours=-8))
TIMESTAMP_FIELDS = frozenset(
    {
        "created_at",
        "updated_at",
        "succeeded_at",
        "start_at",
        "started_at",
        "first_supporter_at",
        "unsubscribed_at",
    }
)
ID_FIELDS = frozenset(
    {
        "signup_id",
        "recruiter_id",
        "author_id",
        "page_id",
        "tag_id",
        "event_id",
        "petition_id",
        "path_id",
        "membership_type_id",
        "parent_id",
    }
)


def _words(text: str) -> list[str]:
    return text.split()


# The quickstart's signup attributes that the simulator does not vary: rendered with these values.
SIGNUP_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(
        _words(
            "city_district civicrm_id county_district county_file_id datatrust_id dw_id "
            "federal_district fire_district judicial_district labour_region ngp_id pf_strat_id "
            "precinct_id rnc_id rnc_regid salesforce_id school_district school_sub_district "
            "state_file_id state_lower_district state_upper_district supranational_district van_id "
            "village_district ward work_phone_number active_customer_expires_at "
            "active_customer_started_at author_id auto_import_id availability banned_at church "
            "city_sub_district closed_invoices_count contact_status could_vote_status demo "
            "ethnicity "
            "fax_number first_donated_at first_fundraised_at first_invoice_at first_prospect_at "
            "first_recruited_at first_volunteer_at import_id inferred_party inferred_support_level "
            "invoices_count language last_call_id last_contacted_at last_contacted_by_id "
            "last_donated_at last_fundraised_at last_invoice_at last_rule_violation_at legal_name "
            "locale marital_status occupation outstanding_invoices_count parent_id party "
            "phone_time "
            "prefix previous_party priority_level priority_level_changed_at profile_content "
            "profile_content_html profile_headline registered_at religion submitted_address suffix "
            "support_level_changed_at support_probability_score township "
            "turnout_probability_score unsubscribed_at username"
        )
    ),
    **dict.fromkeys(
        _words(
            "capital_amount_in_cents closed_invoices_amount_in_cents donations_amount_in_cents "
            "donations_amount_this_cycle_in_cents donations_count donations_count_this_cycle "
            "donations_pledged_amount_in_cents donations_raised_amount_in_cents "
            "donations_raised_amount_this_cycle_in_cents donations_raised_count "
            "donations_raised_count_this_cycle donations_to_raise_amount_in_cents "
            "invoice_payments_amount_in_cents invoice_payments_referred_amount_in_cents "
            "invoices_amount_in_cents outstanding_invoices_amount_in_cents overdue_invoices_count "
            "received_capital_amount_in_cents rule_violations_count spent_capital_amount_in_cents "
            "warnings_count"
        ),
        0,
    ),
    **dict.fromkeys(
        _words(
            "do_not_call do_not_contact email1_is_bad email1_is_bouncing email2_is_bad "
            "email2_is_bouncing email3_is_bad email3_is_bouncing email4_is_bad email4_is_bouncing "
            "federal_donotcall is_cpu is_deceased is_donor is_fundraiser is_ignore_donation_limits "
            "is_mobile_bad is_possible_duplicate is_profile_private is_prospect "
            "is_survey_question_private party_member mobile_opt_in"
        ),
        False,
    ),
    "is_leaderboardable": True,
    "is_profile_searchable": True,
    "signup_type": 0,
}


@lru_cache(maxsize=200_000)
def render_time(epoch: int) -> str:
    """The nation's local time with its offset, as NationBuilder prints it (-07:00 or -08:00)."""
    utc = datetime.fromtimestamp(epoch, UTC)
    zone = PDT if 4 <= utc.month <= 10 else PST
    return utc.astimezone(zone).isoformat()


def attributes(resource: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row's JSON:API attributes: string ids, local timestamps, derived fields."""
    out: dict[str, Any] = dict(SIGNUP_DEFAULTS) if resource == "signups" else {}
    for key, value in row.items():
        if key == "id":
            continue
        if key in TIMESTAMP_FIELDS:
            out[key] = render_time(value) if value is not None else None
        elif key in ID_FIELDS:
            out[key] = str(value) if value is not None else None
        else:
            out[key] = value
    if resource == "signups":
        out["full_name"] = f"{row['first_name']} {row['last_name']}"
        out["note_updated_at"] = out["updated_at"]
        out["first_supporter_at"] = out["created_at"]
    elif resource == "donations":
        out["amount"] = cents_to_amount(row["amount_in_cents"])
    elif resource == "lists":
        out["signups_count"] = row.get("signups_count", 0)
    return out


def resource_object(resource: str, row: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    attrs = attributes(resource, row)
    if fields is not None:
        attrs = {k: v for k, v in attrs.items() if k in fields}
    record: dict[str, Any] = {"id": str(row["id"]), "type": resource, "attributes": attrs}
    if resource == "event_rsvps":
        # The spec has no signup_id attribute on RSVPs: the signup is a relationship only.
        signup_id = attrs.pop("signup_id", row.get("signup_id"))
        record["relationships"] = {"signup": {"data": {"type": "signups", "id": str(signup_id)}}}
    elif resource == "signups":
        record["relationships"] = {
            "taggings": {
                "links": {"related": f"/api/v2/signup_taggings?filter[signup_id]={row['id']}"}
            },
        }
    return record


def v1_list(row: dict[str, Any], count: int) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "slug": row["slug"],
        "author_id": row["author_id"],
        "count": count,
    }


def v1_person(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "phone": row["phone_number"],
        "mobile": row["mobile_number"],
        "created_at": render_time(row["created_at"]),
        "updated_at": render_time(row["updated_at"]),
        "external_id": row["external_id"],
        "support_level": row["support_level"],
    }
