-- Every live action of either system in one shape, named after what it was taken on, keyed to
-- the person record that took it. Action Network donations are actions too (NationBuilder
-- donations live only in `donations`). `source_action_id` is the record's id in its own table.
--
-- [checks]
-- unique = ["action_id", ["source", "action_type", "account", "source_action_id"]]
-- not_null = ["action_id", "source", "source_action_id", "action_type"]
--
-- [checks.row_count]
-- "live rows of the seven action tables" = """
--     (select count(*) from stg_action_network__signatures where deleted_at is null)
--     + (select count(*) from stg_action_network__attendances where deleted_at is null)
--     + (select count(*) from stg_action_network__submissions where deleted_at is null)
--     + (select count(*) from stg_action_network__outreaches where deleted_at is null)
--     + (select count(*) from stg_action_network__donations where deleted_at is null)
--     + (select count(*) from stg_nationbuilder__petition_signatures where deleted_at is null)
--     + (select count(*) from stg_nationbuilder__event_rsvps where deleted_at is null)
-- """

with signatures as (
    select * from stg_action_network__signatures
),

petitions as (
    select * from stg_action_network__petitions
),

attendances as (
    select * from stg_action_network__attendances
),

events as (
    select * from stg_action_network__events
),

submissions as (
    select * from stg_action_network__submissions
),

forms as (
    select * from stg_action_network__forms
),

outreaches as (
    select * from stg_action_network__outreaches
),

advocacy_campaigns as (
    select * from stg_action_network__advocacy_campaigns
),

action_network_donations as (
    select * from stg_action_network__donations
),

fundraising_pages as (
    select * from stg_action_network__fundraising_pages
),

petition_signatures as (
    select * from stg_nationbuilder__petition_signatures
),

nationbuilder_petitions as (
    select * from stg_nationbuilder__petitions
),

event_rsvps as (
    select * from stg_nationbuilder__event_rsvps
),

nationbuilder_events as (
    select * from stg_nationbuilder__events
),

action_network_actions as (
    select
        signatures.signature_id as source_action_id,
        'signature' as action_type,
        signatures.account,
        signatures.person_id as person_record_key,
        signatures.petition_id as target_id,
        coalesce(petitions.title, petitions.internal_name) as action_name,
        signatures.created_at as acted_at
    from signatures
    left join petitions on petitions.petition_id = signatures.petition_id
    where signatures.deleted_at is null

    union all

    select
        attendances.attendance_id,
        'attendance',
        attendances.account,
        attendances.person_id,
        attendances.event_id,
        coalesce(events.title, events.internal_name),
        attendances.created_at
    from attendances
    left join events on events.event_id = attendances.event_id
    where attendances.deleted_at is null

    union all

    select
        submissions.submission_id,
        'submission',
        submissions.account,
        submissions.person_id,
        submissions.form_id,
        coalesce(forms.title, forms.internal_name),
        submissions.created_at
    from submissions
    left join forms on forms.form_id = submissions.form_id
    where submissions.deleted_at is null

    union all

    select
        outreaches.outreach_id,
        'outreach',
        outreaches.account,
        outreaches.person_id,
        outreaches.advocacy_campaign_id,
        coalesce(advocacy_campaigns.title, advocacy_campaigns.internal_name),
        outreaches.created_at
    from outreaches
    left join advocacy_campaigns
        on advocacy_campaigns.advocacy_campaign_id = outreaches.advocacy_campaign_id
    where outreaches.deleted_at is null

    union all

    select
        action_network_donations.donation_id,
        'donation',
        action_network_donations.account,
        action_network_donations.person_id,
        action_network_donations.fundraising_page_id,
        coalesce(fundraising_pages.title, fundraising_pages.internal_name),
        action_network_donations.created_at
    from action_network_donations
    left join fundraising_pages
        on fundraising_pages.fundraising_page_id = action_network_donations.fundraising_page_id
    where action_network_donations.deleted_at is null
),

-- NationBuilder signup ids are per nation: a named account goes into the person's key
nationbuilder_actions as (
    select
        cast(petition_signatures.petition_signature_id as varchar) as source_action_id,
        'petition_signature' as action_type,
        petition_signatures.account,
        'nationbuilder:' || coalesce(nullif(petition_signatures.account, 'default') || ':', '')
        || petition_signatures.signup_id as person_record_key,
        cast(petition_signatures.petition_id as varchar) as target_id,
        nationbuilder_petitions.intro as action_name,
        petition_signatures.created_at as acted_at
    from petition_signatures
    left join nationbuilder_petitions
        on nationbuilder_petitions.account = petition_signatures.account
        and nationbuilder_petitions.petition_id = petition_signatures.petition_id
    where petition_signatures.deleted_at is null

    union all

    select
        cast(event_rsvps.event_rsvp_id as varchar),
        'event_rsvp',
        event_rsvps.account,
        'nationbuilder:' || coalesce(nullif(event_rsvps.account, 'default') || ':', '') || event_rsvps.signup_id,
        cast(event_rsvps.event_id as varchar),
        nationbuilder_events.venue_name,
        event_rsvps.created_at
    from event_rsvps
    left join nationbuilder_events
        on nationbuilder_events.account = event_rsvps.account
        and nationbuilder_events.event_id = event_rsvps.event_id
    where event_rsvps.deleted_at is null
),

unioned as (
    select
        'action_network' as source,
        source_action_id,
        action_type,
        account,
        person_record_key,
        target_id,
        action_name,
        acted_at
    from action_network_actions

    union all

    select
        'nationbuilder' as source,
        source_action_id,
        action_type,
        account,
        person_record_key,
        target_id,
        action_name,
        acted_at
    from nationbuilder_actions
),

-- An id is unique only within its table (two Action Network collections may hand out the same
-- one) and its nation, so the key is source, action type, a named account and the id:
-- `action_network:outreach:<uuid>`, `nationbuilder:petition_signature:north:7`.
keyed as (
    select
        source || ':' || action_type || ':' || coalesce(nullif(account, 'default') || ':', '')
        || replace(source_action_id, 'action_network:', '') as action_id,
        source,
        source_action_id,
        action_type,
        account,
        person_record_key,
        target_id,
        action_name,
        acted_at
    from unioned
)

select * from keyed
