-- One row per real person across NationBuilder and Action Network: records sharing any
-- normalized email are one person. Names and the primary email come from the NationBuilder
-- record when there is one (the CRM of record), else the first-seen record; each source id is
-- that system's first-seen record of the person (`nationbuilder_account`: the nation of that
-- NationBuilder record, since signup ids are per nation).
--
-- [checks]
-- unique = ["person_id", ["nationbuilder_account", "nationbuilder_signup_id"], "action_network_person_id"]
-- not_null = ["person_id", "is_in_nationbuilder", "is_in_action_network", "source_records_count"]
-- accepted_values = { first_seen_source = ["nationbuilder", "action_network"] }
--
-- [checks.expect]
-- "known to at least one system" = "is_in_nationbuilder or is_in_action_network"
-- "a source id for each system that knows them" = """
--     is_in_nationbuilder = (nationbuilder_signup_id is not null)
--     and is_in_action_network = (action_network_person_id is not null)
-- """
--
-- [checks.row_count]
-- "one row per matched person" = """
--     (select count(distinct person_id) from int_people__matched_across_sources)
-- """

with records as (
    select * from int_people__source_records
),

matched as (
    select * from int_people__matched_across_sources
),

-- Each attribute comes from the first row, in its order, that has it: names and the email in
-- preference order (NationBuilder first, then first seen), source ids in first-seen order.
-- Undated records come last; the record key breaks ties so the choice is the same on every build.
chosen as (
    select
        matched.person_id,
        records.source,
        records.created_at,
        records.updated_at,
        first_value(records.nationbuilder_signup_id) over (
            partition by matched.person_id
            order by
                records.nationbuilder_signup_id is null,
                records.created_at asc nulls last,
                records.record_key
        ) as nationbuilder_signup_id,
        first_value(case when records.source = 'nationbuilder' then records.account end) over (
            partition by matched.person_id
            order by
                records.source <> 'nationbuilder' or records.account is null,
                records.created_at asc nulls last,
                records.record_key
        ) as nationbuilder_account,
        first_value(records.action_network_person_id) over (
            partition by matched.person_id
            order by
                records.action_network_person_id is null,
                records.created_at asc nulls last,
                records.record_key
        ) as action_network_person_id,
        first_value(records.first_name) over (
            partition by matched.person_id
            order by
                records.first_name is null,
                records.source <> 'nationbuilder',
                records.created_at asc nulls last,
                records.record_key
        ) as first_name,
        first_value(records.last_name) over (
            partition by matched.person_id
            order by
                records.last_name is null,
                records.source <> 'nationbuilder',
                records.created_at asc nulls last,
                records.record_key
        ) as last_name,
        first_value(records.primary_email) over (
            partition by matched.person_id
            order by
                records.primary_email is null,
                records.source <> 'nationbuilder',
                records.created_at asc nulls last,
                records.record_key
        ) as primary_email,
        first_value(records.source) over (
            partition by matched.person_id
            order by records.created_at asc nulls last, records.record_key
        ) as first_seen_source
    from matched
    inner join records on records.record_key = matched.record_key
),

summarized as (
    select
        person_id,
        max(nationbuilder_signup_id) as nationbuilder_signup_id,
        max(nationbuilder_account) as nationbuilder_account,
        max(action_network_person_id) as action_network_person_id,
        max(first_name) as first_name,
        max(last_name) as last_name,
        max(primary_email) as primary_email,
        min(created_at) as first_seen_at,
        max(first_seen_source) as first_seen_source,
        bool_or(source = 'nationbuilder') as is_in_nationbuilder,
        bool_or(source = 'action_network') as is_in_action_network,
        count(*) as source_records_count,
        max(updated_at) as updated_at
    from chosen
    group by person_id
)

select * from summarized
