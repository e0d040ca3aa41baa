-- Which NationBuilder signup carries which tag, as loaded; removed taggings keep `deleted_at`.
--
-- [checks]
-- unique = [["account", "signup_tagging_id"]]
-- not_null = ["signup_tagging_id", "signup_id", "tag_id"]

with source as (
    select * from nationbuilder.signup_taggings
),

renamed as (
    select
        cast(id as bigint) as signup_tagging_id,
        cast(signup_id as bigint) as signup_id,
        cast(tag_id as bigint) as tag_id,
        cast(created_at as timestamptz) as created_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
