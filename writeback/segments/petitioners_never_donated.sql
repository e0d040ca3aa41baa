-- NationBuilder people who signed 3 or more petitions (in either system) and never donated:
--     civic-etl push-list --list petitioners-never-donated --query petitioners_never_donated

with engagement as (
    select * from analytics.person_engagement
),

people as (
    select * from analytics.people
),

petitioners as (
    select
        people.nationbuilder_signup_id,
        engagement.petitions_signed,
    from engagement
    inner join people on people.person_id = engagement.person_id
    where
        engagement.petitions_signed >= 3
        and not engagement.has_donated
        and people.nationbuilder_signup_id is not null
)

select * from petitioners
