-- Action Network events as loaded (`title` is public, `internal_name` for organizers).
--
-- [checks]
-- unique = ["event_id"]
-- not_null = ["event_id"]

with source as (
    select * from action_network.events
),

renamed as (
    select
        cast(id as varchar) as event_id,
        cast(title as varchar) as title,
        cast(name as varchar) as internal_name,
        cast(start_date as timestamptz) as start_at,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
