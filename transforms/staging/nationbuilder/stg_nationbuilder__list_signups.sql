-- Who is on which NationBuilder list, as loaded; pairs taken off a list keep `deleted_at`.
--
-- [checks]
-- unique = [["account", "list_id", "signup_id"]]
-- not_null = ["list_id", "signup_id"]

with source as (
    select * from nationbuilder.list_signups
),

renamed as (
    select
        cast(list_id as bigint) as list_id,
        cast(signup_id as bigint) as signup_id,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
