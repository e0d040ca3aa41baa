-- Per person: actions by type, first and last action, donations (succeeded ones: count,
-- totals, first and last), lists, tags (`tags_count`: distinct names across both systems,
-- ignoring case; and per system), and how recently they were active as of the build. The table
-- to ask "signed 3+ petitions, never donated":
--     select * from analytics.person_engagement where petitions_signed >= 3 and not has_donated
-- `recency`: 'active_30d', 'active_90d', 'active_1y' (last action or donation that recent),
-- 'lapsed' (longer ago, or undated) or 'never' (no action or donation at all).
--
-- [checks]
-- unique = ["person_id"]
-- not_null = [
--     "person_id", "actions_count", "donations_count", "lists_count", "tags_count", "recency",
-- ]
-- relationships = { person_id = "people.person_id" }
--
-- [checks.accepted_values]
-- recency = ["active_30d", "active_90d", "active_1y", "lapsed", "never"]
--
-- [checks.expect]
-- "never active means no actions and no donations" = """
--     (recency = 'never') = (actions_count = 0 and donations_count = 0)
-- """
--
-- [checks.row_count]
-- "one row per person" = "(select count(*) from people)"
--
-- [checks.equal]
-- "actions add up" = [
--     "(select coalesce(sum(actions_count), 0) from person_engagement)",
--     "(select count(*) from actions where person_id is not null)",
-- ]
-- "tags add up" = [
--     """(select coalesce(sum(nationbuilder_tags_count + action_network_tags_count), 0)
--         from person_engagement)""",
--     "(select count(*) from person_tags)",
-- ]

with everyone as (
    select * from people
),

all_actions as (
    select * from actions
),

all_donations as (
    select * from donations
),

memberships as (
    select * from list_memberships
),

tags as (
    select * from person_tags
),

action_counts as (
    select
        person_id,
        count(*) filter (where action_type = 'signature') as signature_actions,
        count(*) filter (where action_type = 'attendance') as attendance_actions,
        count(*) filter (where action_type = 'submission') as submission_actions,
        count(*) filter (where action_type = 'outreach') as outreach_actions,
        count(*) filter (where action_type = 'donation') as donation_actions,
        count(*) filter (where action_type = 'petition_signature') as petition_signature_actions,
        count(*) filter (where action_type = 'event_rsvp') as event_rsvp_actions,
        count(*) as actions_count,
        min(acted_at) as first_action_at,
        max(acted_at) as last_action_at
    from all_actions
    where person_id is not null
    group by person_id
),

succeeded_donations as (
    select * from all_donations
    where is_succeeded and person_id is not null
),

donation_totals as (
    select
        person_id,
        count(*) as donations_count,
        cast(sum(amount) filter (where currency = 'USD') as decimal(18, 2))
            as donations_total_usd,
        min(donated_at) as first_donated_at,
        max(donated_at) as last_donated_at
    from succeeded_donations
    group by person_id
),

currency_totals as (
    select
        person_id,
        currency,
        cast(sum(amount) as decimal(18, 2)) as total
    from succeeded_donations
    group by person_id, currency
),

donation_currencies as (
    select
        person_id,
        cast(
            '{' || string_agg(
                '"' || currency || '":' || cast(total as varchar), ',' order by currency
            ) || '}' as json
        ) as donations_total_by_currency
    from currency_totals
    group by person_id
),

list_counts as (
    select
        person_id,
        count(distinct list_id) as lists_count
    from memberships
    group by person_id
),

tag_counts as (
    select
        person_id,
        count(distinct lower(tag)) as tags_count,
        count(*) filter (where source = 'nationbuilder') as nationbuilder_tags_count,
        count(*) filter (where source = 'action_network') as action_network_tags_count
    from tags
    group by person_id
),

joined as (
    select
        everyone.person_id,
        coalesce(action_counts.signature_actions, 0) as signature_actions,
        coalesce(action_counts.attendance_actions, 0) as attendance_actions,
        coalesce(action_counts.submission_actions, 0) as submission_actions,
        coalesce(action_counts.outreach_actions, 0) as outreach_actions,
        coalesce(action_counts.donation_actions, 0) as donation_actions,
        coalesce(action_counts.petition_signature_actions, 0) as petition_signature_actions,
        coalesce(action_counts.event_rsvp_actions, 0) as event_rsvp_actions,
        coalesce(action_counts.signature_actions, 0)
        + coalesce(action_counts.petition_signature_actions, 0) as petitions_signed,
        coalesce(action_counts.actions_count, 0) as actions_count,
        action_counts.first_action_at,
        action_counts.last_action_at,
        coalesce(donation_totals.donations_count, 0) as donations_count,
        coalesce(donation_totals.donations_total_usd, 0) as donations_total_usd,
        donation_currencies.donations_total_by_currency,
        coalesce(donation_totals.donations_count, 0) > 0 as has_donated,
        donation_totals.first_donated_at,
        donation_totals.last_donated_at,
        coalesce(list_counts.lists_count, 0) as lists_count,
        coalesce(tag_counts.tags_count, 0) as tags_count,
        coalesce(tag_counts.nationbuilder_tags_count, 0) as nationbuilder_tags_count,
        coalesce(tag_counts.action_network_tags_count, 0) as action_network_tags_count,
        greatest(action_counts.last_action_at, donation_totals.last_donated_at) as last_active_at
    from everyone
    left join action_counts on action_counts.person_id = everyone.person_id
    left join donation_totals on donation_totals.person_id = everyone.person_id
    left join donation_currencies on donation_currencies.person_id = everyone.person_id
    left join list_counts on list_counts.person_id = everyone.person_id
    left join tag_counts on tag_counts.person_id = everyone.person_id
),

final as (
    select
        *,
        case
            when actions_count = 0 and donations_count = 0 then 'never'
            when last_active_at >= now() - interval 30 day then 'active_30d'
            when last_active_at >= now() - interval 90 day then 'active_90d'
            when last_active_at >= now() - interval 1 year then 'active_1y'
            else 'lapsed'
        end as recency
    from joined
)

select * from final
