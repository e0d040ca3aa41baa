-- NationBuilder petition signatures as loaded; deleted ones keep `deleted_at`.
--
-- [checks]
-- unique = [["account", "petition_signature_id"]]
-- not_null = ["petition_signature_id"]

with source as (
    select * from nationbuilder.petition_signatures
),

renamed as (
    select
        cast(id as bigint) as petition_signature_id,
        cast(petition_id as bigint) as petition_id,
        cast(signup_id as bigint) as signup_id,
        cast(comment as varchar) as comment,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
