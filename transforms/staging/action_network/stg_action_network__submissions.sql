-- Action Network form submissions as loaded.
--
-- [checks]
-- unique = ["submission_id"]
-- not_null = ["submission_id"]

with source as (
    select * from action_network.submissions
),

renamed as (
    select
        cast(id as varchar) as submission_id,
        cast(person_id as varchar) as person_id,
        cast(form_id as varchar) as form_id,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
