-- NationBuilder people who signed 3 or more petitions (in either system), never donated, and
-- may be emailed (the list is for an email ask; contactability says who may not, and why):
--     civic-etl push-list --list petitioners-never-donated --query petitioners_never_donated

with engagement as (
    select * from analytics.person_engagement
),

people as (
    select * from analytics.people
),

contactability as (
    select * from analytics.contactability
),

petitioners as (
    select
        people.nationbuilder_signup_id,
        engagement.petitions_signed,
    from engagement
    inner join people on people.person_id = engagement.person_id
    inner join contactability on contactability.person_id = engagement.person_id
    where
        engagement.petitions_signed >= 3
        and not engagement.has_donated
        and people.nationbuilder_signup_id is not null
        and contactability.can_email
)

select * from petitioners
