-- Action Network tags as loaded.
--
-- [checks]
-- unique = ["tag_id"]
-- not_null = ["tag_id"]

with source as (
    select * from action_network.tags
),

renamed as (
    select
        cast(id as varchar) as tag_id,
        cast(name as varchar) as tag_name,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
