-- Every normalized email (trimmed, lower-cased) of every live person record: the match key.
--
-- [checks]
-- unique = [["record_key", "email"]]
-- not_null = ["record_key", "email"]
-- relationships = { record_key = "int_people__source_records.record_key" }

with records as (
    select * from int_people__source_records
),

signups as (
    select * from stg_nationbuilder__signups
),

action_network_people as (
    select * from stg_action_network__people
),

addresses as (
    select * from int_action_network__email_addresses
),

-- a NationBuilder signup's primary address and its four email slots
nationbuilder_emails as (
    select
        records.record_key,
        case slots.slot
            when 0 then signups.primary_email
            when 1 then signups.email1
            when 2 then signups.email2
            when 3 then signups.email3
            else signups.email4
        end as raw_email
    from records
    inner join signups
        on signups.account = records.account
        and signups.signup_id = records.nationbuilder_signup_id
    cross join (values (0), (1), (2), (3), (4)) as slots (slot)
    where records.source = 'nationbuilder'
),

-- an Action Network person's primary address and every address in their list
action_network_emails as (
    select
        records.record_key,
        action_network_people.primary_email as raw_email
    from records
    inner join action_network_people
        on action_network_people.person_id = records.action_network_person_id

    union all

    select
        records.record_key,
        addresses.address as raw_email
    from records
    inner join addresses on addresses.person_id = records.action_network_person_id
),

unioned as (
    select * from nationbuilder_emails
    union all
    select * from action_network_emails
),

normalized as (
    select distinct
        record_key,
        lower(trim(raw_email)) as email
    from unioned
),

final as (
    select * from normalized
    where email is not null and email <> ''
)

select * from final
