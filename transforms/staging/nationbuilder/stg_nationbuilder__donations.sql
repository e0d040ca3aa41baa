-- NationBuilder donations as loaded. NationBuilder has no currency attribute: every amount is USD.
--
-- [checks]
-- unique = [["account", "donation_id"]]
-- not_null = ["donation_id", "amount_cents"]

with source as (
    select * from nationbuilder.donations
),

renamed as (
    select
        cast(id as bigint) as donation_id,
        cast(signup_id as bigint) as signup_id,
        cast(amount_in_cents as bigint) as amount_cents,
        'USD' as currency,
        cast(status as varchar) as status,
        cast(page_id as bigint) as page_id,
        cast(payment_type_name as varchar) as payment_type_name,
        cast(succeeded_at as timestamptz) as succeeded_at,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
