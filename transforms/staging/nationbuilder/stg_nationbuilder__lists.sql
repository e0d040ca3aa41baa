-- NationBuilder lists as loaded (the table is replaced whole on each extract).
--
-- [checks]
-- unique = [["account", "list_id"]]
-- not_null = ["list_id"]

with source as (
    select * from nationbuilder.lists
),

renamed as (
    select
        cast(id as bigint) as list_id,
        cast(name as varchar) as list_name,
        cast(slug as varchar) as list_slug,
        cast(author_id as bigint) as author_signup_id,
        cast(signups_count as bigint) as signups_count,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
