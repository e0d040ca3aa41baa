-- Every normalized email (trimmed, lower-cased) of every live person record: the match key.
--
-- [checks]
-- unique = [["record_key", "email"]]
-- not_null = ["record_key", "email"]
-- relationships = { record_key = "int_people__source_records.record_key" }

with records as (
    select * from int_people__source_records
),

unnested as (
    select
        record_key,
        unnest(emails) as raw_email
    from records
),

normalized as (
    select distinct
        record_key,
        lower(trim(raw_email)) as email
    from unnested
),

final as (
    select * from normalized
    where email is not null and email <> ''
)

select * from final
