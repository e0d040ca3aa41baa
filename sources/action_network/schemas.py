"""Arrow column declarations of every Action Network table (types from the v2 field reference)."""

from __future__ import annotations


def _cols(code: str, names: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), code)


# Every record: its `action_network:<uuid>` as `id`, all identifiers, and UTC timestamps whichever
# dialect (created_date/modified_date or created_at/modified_at) the API spoke.
RECORD: dict[str, str] = {
    "id": "str",
    "identifiers": "json",
    "origin_system": "str",
    "created_at": "ts",
    "modified_at": "ts",
}

# The shared fields of petitions, events, forms, fundraising pages, advocacy campaigns, campaigns.
# `action_network:sponsor` ({title, browser_url}) may come on any of them: JSON on every one, so
# it never lands as text in one table and JSON in another.
ACTION_PAGE: dict[str, str] = {
    **RECORD,
    **_cols("str", "title name description browser_url featured_image_url creator_id"),
    "hidden": "bool",
    **_cols("json", "tag_list sponsor"),
}

# The shared fields of what a person did: signatures, attendances, submissions, ...
ACTION: dict[str, str] = {**RECORD, "person_id": "str", "referrer_data": "json"}

PEOPLE: dict[str, str] = {
    **RECORD,
    **_cols("str", "given_name family_name"),
    **_cols("str", "primary_email primary_phone locality region postal_code country"),
    **_cols(
        "json", "email_addresses phone_numbers postal_addresses languages_spoken custom_fields"
    ),
}

PETITIONS: dict[str, str] = {
    **ACTION_PAGE,
    "petition_text": "str",
    "total_signatures": "int",
    "target": "json",
}

EVENTS: dict[str, str] = {
    **ACTION_PAGE,
    **_cols("str", "instructions status visibility transparence"),
    **_cols("ts", "start_date end_date"),
    **_cols("int", "capacity total_accepted"),
    "guests_can_invite_others": "bool",
    **_cols("json", "location reminders"),
}

FORMS: dict[str, str] = {**ACTION_PAGE, "call_to_action": "str", "total_submissions": "int"}

FUNDRAISING_PAGES: dict[str, str] = {
    **ACTION_PAGE,
    **_cols("int", "total_donations total_amount_cents"),
    "currency": "str",
}

ADVOCACY_CAMPAIGNS: dict[str, str] = {
    **ACTION_PAGE,
    **_cols("str", "targets type"),
    "total_outreaches": "int",
}

CAMPAIGNS: dict[str, str] = {**ACTION_PAGE, "actions": "json"}

TAGS: dict[str, str] = {**RECORD, "name": "str"}

LISTS: dict[str, str] = {**RECORD, **_cols("str", "title name description browser_url")}

MESSAGES: dict[str, str] = {
    **RECORD,
    **_cols("str", "title subject body from_name reply_to administrative_url type status"),
    "sent_start_date": "ts",
    "total_targeted": "int",
    **_cols("json", "targets statistics"),
}

SIGNATURES: dict[str, str] = {**ACTION, "petition_id": "str", "comments": "str"}

ATTENDANCES: dict[str, str] = {**ACTION, "event_id": "str", "status": "str"}

SUBMISSIONS: dict[str, str] = {**ACTION, "form_id": "str"}

DONATIONS: dict[str, str] = {
    **ACTION,
    "fundraising_page_id": "str",
    "amount_cents": "int",
    "currency": "str",
    "is_recurring": "bool",
    "recurrence_period": "str",
    **_cols("json", "recipients payment"),
}

OUTREACHES: dict[str, str] = {
    **ACTION,
    "advocacy_campaign_id": "str",
    **_cols("str", "type subject message"),
    "duration": "int",
    "targets": "json",
}

TAGGINGS: dict[str, str] = {**RECORD, **_cols("str", "person_id tag_id item_type")}
