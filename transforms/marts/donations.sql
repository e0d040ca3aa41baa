-- Every live donation from both systems, one currency-aware amount: `amount_cents`, `amount`
-- in the currency's units (DECIMAL(18,2)) and the upper-cased ISO `currency`. Pending and
-- failed NationBuilder donations are here with their `status`; `is_succeeded` picks the money
-- that arrived. `person_id` is null only for a donation whose person is not a live record.
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

final as (
    select
        unioned.donation_id,
        matched.person_id,
        unioned.source,
        unioned.source_donation_id,
        unioned.amount_cents,
        cast(unioned.amount_cents * 0.01 as decimal(18, 2)) as amount,
        unioned.currency,
        unioned.status,
        coalesce(unioned.status = 'succeeded', false) as is_succeeded,
        unioned.is_recurring,
        unioned.payment_type_name,
        unioned.page_id,
        unioned.fundraising_page_id,
        unioned.page_title,
        unioned.donated_at,
        unioned.created_at
    from unioned
    left join matched on matched.record_key = unioned.person_record_key
)

select * from final
