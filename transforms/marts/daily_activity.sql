-- Per UTC day and source: new people (each person counted once, on the day and in the system
-- that first saw them), actions, and succeeded donations with their amounts. A record with no
-- timestamp (a person, action or donation the API sent without `created_at`) has no day: it is
-- left out here, so each count adds up to its mart's dated rows; the marts themselves keep it.
--
-- [checks]
-- unique = [["activity_date", "source"]]
-- not_null = ["activity_date", "source", "new_people", "actions_count", "donations_count"]
-- accepted_values = { source = ["nationbuilder", "action_network"] }
--
-- [checks.equal]
-- "new people add up to dated people" = [
--     "(select coalesce(sum(new_people), 0) from daily_activity)",
--     "(select count(*) from people where first_seen_at is not null)",
-- ]
-- "actions add up to dated actions" = [
--     "(select coalesce(sum(actions_count), 0) from daily_activity)",
--     "(select count(*) from actions where acted_at is not null)",
-- ]
-- "donations add up to dated succeeded donations" = [
--     "(select coalesce(sum(donations_count), 0) from daily_activity)",
--     "(select count(*) from donations where is_succeeded and donated_at is not null)",
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

new_people as (
    select
        cast(timezone('UTC', first_seen_at) as date) as activity_date,
        first_seen_source as source,
        count(*) as new_people
    from everyone
    where first_seen_at is not null
    group by 1, 2
),

daily_actions as (
    select
        cast(timezone('UTC', acted_at) as date) as activity_date,
        source,
        count(*) as actions_count
    from all_actions
    where acted_at is not null
    group by 1, 2
),

currency_totals as (
    select
        cast(timezone('UTC', donated_at) as date) as activity_date,
        source,
        currency,
        count(*) as donations_count,
        cast(sum(amount) as decimal(18, 2)) as total
    from all_donations
    where is_succeeded and donated_at is not null
    group by 1, 2, 3
),

daily_donations as (
    select
        activity_date,
        source,
        cast(sum(donations_count) as bigint) as donations_count,
        cast(sum(total) filter (where currency = 'USD') as decimal(18, 2)) as donations_total_usd,
        cast(
            '{' || string_agg(
                '"' || currency || '":' || cast(total as varchar), ',' order by currency
            ) || '}' as json
        ) as donations_total_by_currency
    from currency_totals
    group by activity_date, source
),

days as (
    select activity_date, source from new_people
    union
    select activity_date, source from daily_actions
    union
    select activity_date, source from daily_donations
),

final as (
    select
        days.activity_date,
        days.source,
        coalesce(new_people.new_people, 0) as new_people,
        coalesce(daily_actions.actions_count, 0) as actions_count,
        coalesce(daily_donations.donations_count, 0) as donations_count,
        coalesce(daily_donations.donations_total_usd, 0) as donations_total_usd,
        daily_donations.donations_total_by_currency
    from days
    left join new_people
        on new_people.activity_date = days.activity_date
        and new_people.source = days.source
    left join daily_actions
        on daily_actions.activity_date = days.activity_date
        and daily_actions.source = days.source
    left join daily_donations
        on daily_donations.activity_date = days.activity_date
        and daily_donations.source = days.source
)

select * from final
