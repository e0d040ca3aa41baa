-- NationBuilder events as loaded. They carry no title, so the venue name stands for the event.
--
-- [checks]
-- unique = [["account", "event_id"]]
-- not_null = ["event_id"]

with source as (
    select * from nationbuilder.events
),

renamed as (
    select
        cast(id as bigint) as event_id,
        cast(page_id as bigint) as page_id,
        cast(venue_name as varchar) as venue_name,
        cast(start_at as timestamptz) as start_at,
        cast(duration as bigint) as duration_seconds,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
