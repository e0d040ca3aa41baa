-- NationBuilder signup tags as loaded (the table is replaced whole on each extract). Names are
-- unique within a nation, ignoring case.
--
-- [checks]
-- unique = [["account", "tag_id"]]
-- not_null = ["tag_id"]

with source as (
    select * from nationbuilder.signup_tags
),

renamed as (
    select
        cast(id as bigint) as tag_id,
        cast(name as varchar) as tag_name,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
