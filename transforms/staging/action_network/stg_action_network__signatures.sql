-- Action Network petition signatures as loaded.
--
-- [checks]
-- unique = ["signature_id"]
-- not_null = ["signature_id"]

with source as (
    select * from action_network.signatures
),

renamed as (
    select
        cast(id as varchar) as signature_id,
        cast(person_id as varchar) as person_id,
        cast(petition_id as varchar) as petition_id,
        cast(comments as varchar) as comments,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
