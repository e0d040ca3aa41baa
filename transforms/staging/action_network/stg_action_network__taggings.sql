-- Which Action Network person carries which tag, as loaded (the table is replaced whole on each
-- extract, so a removed tagging is simply gone). The API gives a tagging no person or tag id:
-- both come from its links.
--
-- [checks]
-- unique = ["tagging_id"]
-- not_null = ["tagging_id"]

with source as (
    select * from action_network.taggings
),

renamed as (
    select
        cast(id as varchar) as tagging_id,
        cast(person_id as varchar) as person_id,
        cast(tag_id as varchar) as tag_id,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
