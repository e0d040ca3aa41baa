"""Arrow column declarations of every NationBuilder table (types from the v2 field reference)."""

from __future__ import annotations


def _cols(code: str, names: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), code)


DELETION_COLUMNS = {"deleted_at": "ts"}

SIGNUPS: dict[str, str] = {
    "id": "id",
    **_cols(
        "id",
        "author_id recruiter_id parent_id last_contacted_by_id precinct_id last_call_id import_id",
    ),
    **_cols(
        "str",
        "external_id civicrm_id county_file_id datatrust_id dw_id ngp_id pf_strat_id rnc_id "
        "rnc_regid salesforce_id state_file_id van_id first_name middle_name last_name legal_name "
        "prefix suffix full_name username email email1 email2 email3 email4 phone_number "
        "mobile_number work_phone_number fax_number employer occupation note profile_headline "
        "profile_content profile_content_html submitted_address sex party previous_party "
        "inferred_party ethnicity religion church language locale marital_status availability demo "
        "phone_time city_district city_sub_district county_district federal_district fire_district "
        "judicial_district labour_region school_district school_sub_district state_lower_district "
        "state_upper_district supranational_district township village_district ward contact_status "
        "mobile_number_normalized phone_number_normalized",
    ),
    **_cols(
        "int",
        "signup_type support_level inferred_support_level could_vote_status priority_level "
        "primary_email_id rule_violations_count warnings_count donations_count "
        "donations_count_this_cycle donations_raised_count donations_raised_count_this_cycle "
        "capital_amount_in_cents received_capital_amount_in_cents spent_capital_amount_in_cents "
        "donations_amount_in_cents donations_amount_this_cycle_in_cents "
        "donations_pledged_amount_in_cents donations_raised_amount_in_cents "
        "donations_raised_amount_this_cycle_in_cents donations_to_raise_amount_in_cents",
    ),
    **_cols(
        "bool",
        "email_opt_in mobile_opt_in do_not_call do_not_contact federal_donotcall email1_is_bad "
        "email2_is_bad email3_is_bad email4_is_bad email1_is_bouncing email2_is_bouncing "
        "email3_is_bouncing email4_is_bouncing is_cpu is_donor is_volunteer is_supporter "
        "is_prospect is_fundraiser is_deceased is_ignore_donation_limits is_leaderboardable "
        "is_mobile_bad is_possible_duplicate is_profile_private is_profile_searchable "
        "is_survey_question_private party_member",
    ),
    **_cols(
        "ts",
        "created_at updated_at banned_at first_donated_at first_fundraised_at first_prospect_at "
        "first_recruited_at first_supporter_at first_volunteer_at last_contacted_at "
        "last_donated_at last_fundraised_at last_rule_violation_at unsubscribed_at "
        "note_updated_at priority_level_changed_at support_level_changed_at",
    ),
    **_cols("date", "born_at registered_at"),
    "custom_values": "json",
    **DELETION_COLUMNS,
}

DONATIONS: dict[str, str] = {
    "id": "id",
    **_cols(
        "id",
        "signup_id donation_tracking_code_id mailing_id membership_id page_id payment_type_id "
        "pledge_id import_id",
    ),
    **_cols(
        "str",
        "amount status payout_id actblue_order_number check_number payment_type_name email "
        "first_name middle_name last_name employer occupation note",
    ),
    "amount_in_cents": "int",
    **_cols("bool", "is_private is_corporate_contribution"),
    **_cols("ts", "succeeded_at pending_at failed_at canceled_at created_at updated_at"),
    "custom_values": "json",
    **DELETION_COLUMNS,
}

LISTS: dict[str, str] = {
    "id": "id",
    **_cols("id", "author_id signup_id parent_id"),
    **_cols("str", "name slug description"),
    "is_sharing_writable": "bool",
    "signups_count": "int",
    **_cols("ts", "created_at updated_at"),
    **DELETION_COLUMNS,
}

LIST_SIGNUPS: dict[str, str] = {"list_id": "id", "signup_id": "id", **DELETION_COLUMNS}

SIGNUP_TAGS: dict[str, str] = {
    "id": "id",
    "name": "str",
    "taggings_count": "int",
    **_cols("bool", "from_sharing_nation imported shared_with_nations"),
}

SIGNUP_TAGGINGS: dict[str, str] = {
    "id": "id",
    "signup_id": "id",
    "tag_id": "id",
    "created_at": "ts",
    **DELETION_COLUMNS,
}

EVENTS: dict[str, str] = {
    "id": "id",
    **_cols("id", "page_id point_person_id auto_response_broadcaster_id donation_tracking_code_id"),
    **_cols(
        "str",
        "venue_name contact_name contact_email contact_phone_number content auto_response_subject "
        "auto_response_content user_ticket_currency user_ticket_purchase_url event_form_address "
        "event_form_phone time_zone",
    ),
    **_cols(
        "int",
        "duration capacity_count attending_count additional_rsvps_count user_ticket_price_in_cents",
    ),
    **_cols(
        "bool",
        "accept_rsvps allow_guests show_guests private gather_volunteers sends_auto_response "
        "contact_email_private contact_phone_private uses_shifts uses_tickets",
    ),
    "start_at": "ts",
}

EVENT_RSVPS: dict[str, str] = {
    "id": "id",
    **_cols("id", "event_id page_id signup_id"),
    **_cols("str", "email first_name last_name"),
    **_cols("int", "guests_count tickets_count amount_in_cents"),
    **_cols("bool", "attendee canceled prepaid private volunteer"),
    **_cols("ts", "created_at updated_at"),
    **DELETION_COLUMNS,
}

MEMBERSHIPS: dict[str, str] = {
    "id": "id",
    **_cols("id", "signup_id membership_type_id"),
    **_cols("str", "status status_reason grace_period_time_period_type"),
    "grace_period_num_time_periods": "int",
    **_cols("ts", "started_at created_at updated_at"),
    **_cols("date", "expires_on suspended_at"),
    **DELETION_COLUMNS,
}

PETITIONS: dict[str, str] = {
    "id": "id",
    **_cols("id", "page_id auto_response_broadcaster_id"),
    **_cols(
        "str",
        "intro content signature_name auto_response_subject auto_response_content "
        "petition_form_address petition_form_phone",
    ),
    **_cols("int", "goal additional_signatures_count"),
    **_cols("bool", "gather_volunteers is_auto_response"),
}

PETITION_SIGNATURES: dict[str, str] = {
    "id": "id",
    **_cols("id", "petition_id signup_id recruiter_id page_id"),
    "comment": "str",
    "is_private": "bool",
    **_cols("ts", "created_at updated_at"),
    **DELETION_COLUMNS,
}

PATHS: dict[str, str] = {
    "id": "id",
    "default_point_person_id": "id",
    **_cols("str", "name default_value_amount default_due_date_interval"),
    **_cols("bool", "due_date_is_enabled value_amount_is_enabled"),
    **_cols("ts", "created_at updated_at"),
    **DELETION_COLUMNS,
}

PATH_JOURNEYS: dict[str, str] = {
    "id": "id",
    **_cols(
        "id",
        "path_id signup_id point_person_id current_step_id current_step_point_person_id "
        "path_journey_status_change_id",
    ),
    **_cols("str", "description value_amount journey_status"),
    **_cols("ts", "due_date current_step_due_date ended_at last_moved_at created_at updated_at"),
    **DELETION_COLUMNS,
}

DELETED_RECORDS: dict[str, str] = {"resource": "str", "id": "str", "deleted_at": "ts"}
