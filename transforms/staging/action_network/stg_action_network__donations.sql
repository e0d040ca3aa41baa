-- Action Network donations as loaded, with the currency upper-cased (the API sends 'usd' or
-- 'USD'). `amount_cents` is the source's exact conversion of the decimal amount.
--
-- [checks]
-- unique = ["donation_id"]
-- not_null = ["donation_id", "amount_cents"]

with source as (
    select * from action_network.donations
),

renamed as (
    select
        cast(id as varchar) as donation_id,
        cast(person_id as varchar) as person_id,
        cast(fundraising_page_id as varchar) as fundraising_page_id,
        cast(amount_cents as bigint) as amount_cents,
        upper(trim(cast(currency as varchar))) as currency,
        cast(is_recurring as boolean) as is_recurring,
        cast(recurrence_period as varchar) as recurrence_period,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
