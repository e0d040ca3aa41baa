-- NationBuilder volunteers who are not in Action Network, with the columns an-upsert-people
-- sends (matched there by email, else by mobile number). Everyone goes, whether or not they may
-- be emailed: the command reads `analytics.contactability` by `person_id` and subscribes an
-- address only where `can_email` (a number only where `can_text`); the others are added
-- unsubscribed.
--     civic-etl an-upsert-people --query nb_volunteers_not_in_an

with people as (
    select * from analytics.people
),

signups as (
    select * from analytics_internal.stg_nationbuilder__signups
),

volunteers as (
    select
        people.person_id,
        people.first_name,
        people.last_name,
        people.primary_email as email,
        signups.mobile_number,
    from people
    inner join signups
        on signups.signup_id = people.nationbuilder_signup_id
        and signups.account = coalesce(people.nationbuilder_account, 'default')
    where
        signups.is_volunteer
        and signups.deleted_at is null
        and not people.is_in_action_network
        and (people.primary_email is not null or signups.mobile_number is not null)
)

select * from volunteers
