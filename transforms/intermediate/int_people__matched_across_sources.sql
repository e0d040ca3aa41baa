-- Each live person record with the person it belongs to. Records that share a normalized email,
-- directly or through a chain of shared emails, are one person (connected components, found by
-- passing the smallest label along record-email links until nothing changes). A person is
-- named after their first-seen record, so `person_id` stays put when they later turn up in the
-- other system; it changes only if that first record is deleted or stops sharing an email.
--
-- [checks]
-- unique = ["record_key"]
-- not_null = ["record_key", "person_id", "person_key"]
-- relationships = { person_key = "int_people__source_records.record_key" }
--
-- [checks.row_count]
-- "one row per live person record" = "(select count(*) from int_people__source_records)"

with recursive records as (
    select * from int_people__source_records
),

emails as (
    select * from int_people__emails
),

-- first seen wins; the record key breaks ties so the choice is the same on every build
ranked as (
    select
        record_key,
        struct_pack(
            first_seen_at := coalesce(created_at, 'infinity'::timestamptz),
            record_key := record_key
        ) as label
    from records
),

-- only an email two or more records share can join records: everyone else is their own person
shared_emails as (
    select
        record_key,
        'email:' || email as email_node
    from emails
    qualify count(*) over (partition by email) > 1
),

links as (
    select record_key as node_key, email_node as neighbor_key from shared_emails
    union all
    select email_node as node_key, record_key as neighbor_key from shared_emails
),

-- one row per node (record or email) holding the smallest label that has reached it; each
-- round passes only the labels that changed in the previous one
labels (node_key, label) using key (node_key) as (
    select distinct
        shared_emails.record_key as node_key,
        ranked.label
    from shared_emails
    inner join ranked on ranked.record_key = shared_emails.record_key
    union
    select
        links.neighbor_key as node_key,
        min(labels.label) as label
    from labels
    inner join links on links.node_key = labels.node_key
    left join recurring.labels as known on known.node_key = links.neighbor_key
    group by links.neighbor_key
    having min(known.label) is null or min(labels.label) < min(known.label)
),

matched as (
    select
        records.record_key,
        records.source,
        coalesce(labels.label, ranked.label).record_key as person_key
    from records
    inner join ranked on ranked.record_key = records.record_key
    left join labels on labels.node_key = records.record_key
),

final as (
    select
        md5(person_key) as person_id,
        record_key,
        source,
        person_key
    from matched
)

select * from final
