-- Each live person record with the person it belongs to. Records that share a normalized email,
-- directly or through a chain of shared emails, are one person (connected components, found by
-- passing labels along record-email links with a standard recursive CTE until nothing changes,
-- then keeping each record's smallest). A person is
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

-- first seen wins (undated records last); the record key breaks ties so the choice is the same
-- on every build. A smaller label is an earlier record.
ranked as (
    select
        record_key,
        row_number() over (order by created_at asc nulls last, record_key asc) as label
    from records
),

-- only an email two or more records share can join records: everyone else is their own person
shared_emails as (
    select
        record_key,
        email_node
    from (
        select
            record_key,
            'email:' || email as email_node,
            count(*) over (partition by email) as records_sharing
        from emails
    ) as counted
    where records_sharing > 1
),

links as (
    select record_key as node_key, email_node as neighbor_key from shared_emails
    union all
    select email_node as node_key, record_key as neighbor_key from shared_emails
),

-- the label each node (record or shared email) starts with: a record its own, an email the
-- smallest of its records'
seeds as (
    select distinct
        shared_emails.record_key as node_key,
        ranked.label
    from shared_emails
    inner join ranked on ranked.record_key = shared_emails.record_key

    union all

    select
        shared_emails.email_node as node_key,
        min(ranked.label) as label
    from shared_emails
    inner join ranked on ranked.record_key = shared_emails.record_key
    group by shared_emails.email_node
),

-- every (node, label) pair a label reaches along shared emails. A label goes on only to nodes
-- whose own label is larger: where it is not, the node's own label already goes everywhere it
-- would, and is no larger. UNION (not UNION ALL) stops once no new pair turns up.
reached (node_key, label) as (
    select node_key, label from seeds
    union
    select
        links.neighbor_key as node_key,
        reached.label
    from reached
    inner join links on links.node_key = reached.node_key
    inner join seeds on seeds.node_key = links.neighbor_key
    where reached.label < seeds.label
),

components as (
    select
        node_key,
        min(label) as label
    from reached
    group by node_key
),

matched as (
    select
        records.record_key,
        records.source,
        first_seen.record_key as person_key
    from records
    inner join ranked on ranked.record_key = records.record_key
    left join components on components.node_key = records.record_key
    inner join ranked as first_seen
        on first_seen.label = coalesce(components.label, ranked.label)
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
