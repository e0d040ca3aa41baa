-- Every live person record of either system in one shape: what people are matched from.
-- `emails` holds every address the record has, as typed; `primary_email` is normalized
-- (trimmed, lower-cased). Deleted NationBuilder signups are not live people. NationBuilder ids
-- are per nation, so a named account's records carry it in their key (`nationbuilder:north:7`);
-- the default account's keep the plain `nationbuilder:7`.
--
-- [checks]
-- unique = ["record_key"]
-- not_null = ["record_key", "source"]
-- accepted_values = { source = ["nationbuilder", "action_network"] }
--
-- [checks.row_count]
-- "live NB signups + live AN people" = """
--     (select count(*) from stg_nationbuilder__signups where deleted_at is null)
--     + (select count(*) from stg_action_network__people where deleted_at is null)
-- """

with signups as (
    select * from stg_nationbuilder__signups
),

action_network_people as (
    select * from stg_action_network__people
),

nationbuilder_records as (
    select
        'nationbuilder:' || coalesce(nullif(account, 'default') || ':', '') || signup_id as record_key,
        'nationbuilder' as source,
        account,
        signup_id as nationbuilder_signup_id,
        cast(null as varchar) as action_network_person_id,
        first_name,
        last_name,
        nullif(lower(trim(primary_email)), '') as primary_email,
        [primary_email, email1, email2, email3, email4] as emails,
        created_at,
        updated_at
    from signups
    where deleted_at is null
),

action_network_records as (
    select
        person_id as record_key,
        'action_network' as source,
        account,
        cast(null as bigint) as nationbuilder_signup_id,
        person_id as action_network_person_id,
        first_name,
        last_name,
        coalesce(
            nullif(lower(trim(primary_email)), ''),
            nullif(lower(trim(list_filter(email_addresses, lambda e: e."primary")[1].address)), '')
        ) as primary_email,
        list_prepend(primary_email, [e.address for e in email_addresses]) as emails,
        created_at,
        updated_at
    from action_network_people
    where deleted_at is null
),

unioned as (
    select * from nationbuilder_records
    union all
    select * from action_network_records
)

select * from unioned
