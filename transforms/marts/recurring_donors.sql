-- Recurring donors: one row per person, source and recurrence period, the series of recurring
-- gifts they give (only Action Network marks gifts as recurring: NationBuilder's API has no
-- such mark, see donations). Succeeded, dated gifts of a known person count.
--
-- Lapsed, the rule: the gift after the last one is due one period later (`next_gift_due_at`:
-- weekly 7 days; monthly 1 month; every 3 months or quarterly 3 months; yearly or annually 12
-- months; calendar months in UTC, so Jan 31 + 1 month is the end of February). A series lapsed
-- when the newest succeeded gift its system holds (`newest_data_at`) is more than 7 days past
-- that due date. Judged against the data rather than the clock, a warehouse that has not been
-- loaded for a while does not call everyone lapsed. A period it cannot read (a localized label
-- such as 'mensual') has no due date: `status` 'unknown_period', `is_lapsed` null.
--     -- monthly donors who lapsed
--     select * from analytics.recurring_donors where is_monthly and is_lapsed
--
-- [checks]
-- unique = [["person_id", "source", "recurrence_period"]]
-- not_null = [
--     "person_id", "source", "recurrence_period", "is_monthly", "gifts_count", "first_gift_at",
--     "last_gift_at", "newest_data_at", "status",
-- ]
-- relationships = { person_id = "people.person_id" }
--
-- [checks.accepted_values]
-- source = ["nationbuilder", "action_network"]
-- status = ["active", "lapsed", "unknown_period"]
--
-- [checks.expect]
-- "status says what is_lapsed says" = """
--     (is_lapsed is null) = (status = 'unknown_period')
--     and coalesce(is_lapsed, false) = (status = 'lapsed')
-- """
-- "a due date exactly for a known period" = """
--     (next_gift_due_at is null) = (status = 'unknown_period')
-- """
-- "the first gift comes first" = """
--     first_gift_at <= last_gift_at and last_gift_at <= newest_data_at
-- """
--
-- [checks.equal]
-- "every counted gift is in one series" = [
--     "(select coalesce(sum(gifts_count), 0) from recurring_donors)",
--     """(select count(*) from donations
--         where is_recurring and is_succeeded
--         and person_id is not null and donated_at is not null)""",
-- ]

with all_donations as (
    select * from donations
),

newest_gifts as (
    select
        source,
        max(donated_at) as newest_data_at
    from all_donations
    where is_succeeded
    group by source
),

series as (
    select
        person_id,
        source,
        recurrence_period,
        count(*) as gifts_count,
        cast(sum(amount) filter (where currency = 'USD') as decimal(18, 2)) as gifts_total_usd,
        min(donated_at) as first_gift_at,
        max(donated_at) as last_gift_at
    from all_donations
    where is_recurring and is_succeeded and person_id is not null and donated_at is not null
    group by person_id, source, recurrence_period
),

-- the next gift's due date and the newest gift as UTC wall-clock times: months and days added
-- in UTC, whatever the session's time zone
due as (
    select
        series.*,
        newest_gifts.newest_data_at,
        case series.recurrence_period
            when 'weekly' then timezone('UTC', series.last_gift_at) + interval 7 day
            when 'monthly' then timezone('UTC', series.last_gift_at) + interval 1 month
            when 'every 3 months' then timezone('UTC', series.last_gift_at) + interval 3 month
            when 'quarterly' then timezone('UTC', series.last_gift_at) + interval 3 month
            when 'yearly' then timezone('UTC', series.last_gift_at) + interval 12 month
            when 'annually' then timezone('UTC', series.last_gift_at) + interval 12 month
        end as next_gift_due_utc,
        timezone('UTC', newest_gifts.newest_data_at) as newest_data_utc
    from series
    inner join newest_gifts on newest_gifts.source = series.source
),

final as (
    select
        person_id,
        source,
        recurrence_period,
        recurrence_period = 'monthly' as is_monthly,
        gifts_count,
        gifts_total_usd,
        first_gift_at,
        last_gift_at,
        timezone('UTC', next_gift_due_utc) as next_gift_due_at,
        newest_data_at,
        newest_data_utc > next_gift_due_utc + interval 7 day as is_lapsed,
        case
            when next_gift_due_utc is null then 'unknown_period'
            when newest_data_utc > next_gift_due_utc + interval 7 day then 'lapsed'
            else 'active'
        end as status
    from due
)

select * from final
