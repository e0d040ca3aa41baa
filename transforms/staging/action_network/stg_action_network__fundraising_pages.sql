-- Action Network fundraising pages as loaded, with their currency upper-cased (ISO 4217).
--
-- [checks]
-- unique = ["fundraising_page_id"]
-- not_null = ["fundraising_page_id"]

with source as (
    select * from action_network.fundraising_pages
),

renamed as (
    select
        cast(id as varchar) as fundraising_page_id,
        cast(title as varchar) as title,
        cast(name as varchar) as internal_name,
        upper(trim(cast(currency as varchar))) as currency,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
