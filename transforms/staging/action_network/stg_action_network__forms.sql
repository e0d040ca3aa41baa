-- Action Network forms as loaded (`title` is public, `internal_name` for organizers).
--
-- [checks]
-- unique = ["form_id"]
-- not_null = ["form_id"]

with source as (
    select * from action_network.forms
),

renamed as (
    select
        cast(id as varchar) as form_id,
        cast(title as varchar) as title,
        cast(name as varchar) as internal_name,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
