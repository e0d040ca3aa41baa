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

joined as (
    select
        matched.person_id,
        records.*,
        -- whose name and email a person carries: NationBuilder first, then first seen
        struct_pack(
            is_other_source := records.source <> 'nationbuilder',
            first_seen_at := coalesce(records.created_at, 'infinity'::timestamptz),
            record_key := records.record_key
        ) as preference,
        struct_pack(
            first_seen_at := coalesce(records.created_at, 'infinity'::timestamptz),
            record_key := records.record_key
        ) as seen_order
    from matched
    inner join records on records.record_key = matched.record_key
),

summarized as (
    select
        person_id,
        arg_min(nationbuilder_signup_id, seen_order) as nationbuilder_signup_id,
        arg_min(
            case when source = 'nationbuilder' then account end, seen_order
        ) as nationbuilder_account,
        arg_min(action_network_person_id, seen_order) as action_network_person_id,
        arg_min(first_name, preference) as first_name,
        arg_min(last_name, preference) as last_name,
        arg_min(primary_email, preference) as primary_email,
        min(created_at) as first_seen_at,
        arg_min(source, seen_order) as first_seen_source,
        bool_or(source = 'nationbuilder') as is_in_nationbuilder,
        bool_or(source = 'action_network') as is_in_action_network,
        count(*) as source_records_count,
        max(updated_at) as updated_at
    from joined
    group by person_id
)

select * from summarized
