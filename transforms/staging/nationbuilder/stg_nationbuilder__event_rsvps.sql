-- NationBuilder event RSVPs as loaded; deleted ones keep `deleted_at`.
--
-- [checks]
-- unique = [["account", "event_rsvp_id"]]
-- not_null = ["event_rsvp_id"]

with source as (
    select * from nationbuilder.event_rsvps
),

renamed as (
    select
        cast(id as bigint) as event_rsvp_id,
        cast(event_id as bigint) as event_id,
        cast(signup_id as bigint) as signup_id,
        cast(guests_count as bigint) as guests_count,
        cast(attendee as boolean) as is_attendee,
        cast(canceled as boolean) as is_canceled,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
