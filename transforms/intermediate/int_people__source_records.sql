-- Every live person record of either system in one shape: what people are matched from.
-- `primary_email` is normalized (trimmed, lower-cased); every address a record has is in
-- int_people__emails. Deleted NationBuilder signups are not live people. NationBuilder ids
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

addresses as (
    select * from int_action_network__email_addresses
),

-- the first address the API flags as primary, for people without a `primary_email`
first_primary_addresses as (
    select
        person_id,
        address
    from (
        select
            person_id,
            address,
            row_number() over (partition by person_id order by position) as rank_in_person
        from addresses
        where is_primary
    ) as primary_addresses
    where rank_in_person = 1
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
        created_at,
        updated_at
    from signups
    where deleted_at is null
),

action_network_records as (
    select
        action_network_people.person_id as record_key,
        'action_network' as source,
        action_network_people.account,
        cast(null as bigint) as nationbuilder_signup_id,
        action_network_people.person_id as action_network_person_id,
        action_network_people.first_name,
        action_network_people.last_name,
        coalesce(
            nullif(lower(trim(action_network_people.primary_email)), ''),
            nullif(lower(trim(first_primary_addresses.address)), '')
        ) as primary_email,
        action_network_people.created_at,
        action_network_people.updated_at
    from action_network_people
    left join first_primary_addresses
        on first_primary_addresses.person_id = action_network_people.person_id
    where action_network_people.deleted_at is null
),

unioned as (
    select * from nationbuilder_records
    union all
    select * from action_network_records
)

select * from unioned
