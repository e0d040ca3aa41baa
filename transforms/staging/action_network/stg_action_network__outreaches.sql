-- Action Network advocacy outreaches (letters, calls to targets) as loaded.
--
-- [checks]
-- unique = ["outreach_id"]
-- not_null = ["outreach_id"]

with source as (
    select * from action_network.outreaches
),

renamed as (
    select
        cast(id as varchar) as outreach_id,
        cast(person_id as varchar) as person_id,
        cast(advocacy_campaign_id as varchar) as advocacy_campaign_id,
        cast(type as varchar) as outreach_type,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
