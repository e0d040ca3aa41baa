-- NationBuilder petitions as loaded. They carry no title, so the intro stands for the petition.
--
-- [checks]
-- unique = [["account", "petition_id"]]
-- not_null = ["petition_id"]

with source as (
    select * from nationbuilder.petitions
),

renamed as (
    select
        cast(id as bigint) as petition_id,
        cast(page_id as bigint) as page_id,
        cast(intro as varchar) as intro,
        cast(goal as bigint) as signatures_goal,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
