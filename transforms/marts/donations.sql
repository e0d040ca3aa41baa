-- Every live donation from both systems, one currency-aware amount: `amount_cents`, `amount`
-- in the currency's units (DECIMAL(18,2)) and the upper-cased ISO `currency`. Pending and
-- failed NationBuilder donations are here with their `status`; `is_succeeded` picks the money
-- that arrived. `person_id` is null only for a donation whose person is not a live record.
-- `is_recurring` and `recurrence_period` (lower-cased, as Action Network names it: 'monthly',
-- 'weekly', 'every 3 months', 'yearly', ...) come from Action Network; NationBuilder's API marks
-- no donation as recurring, so there `is_recurring` is null (not known). `first_gift_at` and
-- `last_gift_at` are the donor's first and last succeeded gift in either system (null without a
-- person). `donation_id` is `<source>:donation:[<account>:]<id>`.
--
-- [checks]
-- unique = ["donation_id"]
-- not_null = ["donation_id", "source", "amount_cents", "amount", "currency", "is_succeeded"]
-- accepted_values = { source = ["nationbuilder", "action_network"] }
-- relationships = { person_id = "people.person_id" }
--
-- [checks.expect]
-- "amount is amount_cents in units" = "amount * 100 = amount_cents"
-- "currency is a three-letter code" = "regexp_matches(currency, '^[A-Z]{3}$')"
-- "a period only on recurring gifts" = """
--     (recurrence_period is not null) = coalesce(is_recurring, false)
-- """
-- "a gift lies within its donor's first and last" = """
--     not is_succeeded or person_id is null or donated_at is null
--     or donated_at between first_gift_at and last_gift_at
-- """
--
-- [checks.row_count]
-- "live NB donations + live AN donations" = """
--     (select count(*) from stg_nationbuilder__donations where deleted_at is null)
--     + (select count(*) from stg_action_network__donations where deleted_at is null)
-- """

with unioned as (
    select * from int_donations__unioned
),

matched as (
    select * from int_people__matched_across_sources
),

with_people as (
    select
        unioned.*,
        matched.person_id,
        coalesce(unioned.status = 'succeeded', false) as is_succeeded
    from unioned
    left join matched on matched.record_key = unioned.person_record_key
),

final as (
    select
        donation_id,
        person_id,
        source,
        source_donation_id,
        amount_cents,
        cast(amount_cents * 0.01 as decimal(18, 2)) as amount,
        currency,
        status,
        is_succeeded,
        is_recurring,
        recurrence_period,
        case when person_id is not null then min(
            case when is_succeeded then donated_at end
        ) over (partition by person_id) end as first_gift_at,
        case when person_id is not null then max(
            case when is_succeeded then donated_at end
        ) over (partition by person_id) end as last_gift_at,
        payment_type_name,
        page_id,
        fundraising_page_id,
        page_title,
        donated_at,
        created_at
    from with_people
)

select * from final
