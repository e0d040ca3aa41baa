-- Action Network event attendances (RSVPs) as loaded.
--
-- [checks]
-- unique = ["attendance_id"]
-- not_null = ["attendance_id"]

with source as (
    select * from action_network.attendances
),

renamed as (
    select
        cast(id as varchar) as attendance_id,
        cast(person_id as varchar) as person_id,
        cast(event_id as varchar) as event_id,
        cast(status as varchar) as status,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
