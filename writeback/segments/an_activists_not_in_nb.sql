-- Action Network people who took at least one action, are not in NationBuilder and may be
-- emailed (an import brings them in by email: one who unsubscribed, bounced or complained stays
-- out), with the columns of a NationBuilder people import (matched there by email):
--     civic-etl import-people --query an_activists_not_in_nb

with engagement as (
    select * from analytics.person_engagement
),

people as (
    select * from analytics.people
),

contactability as (
    select * from analytics.contactability
),

activists as (
    select
        people.first_name,
        people.last_name,
        people.primary_email as email,
    from people
    inner join engagement on engagement.person_id = people.person_id
    inner join contactability on contactability.person_id = people.person_id
    where
        people.is_in_action_network
        and not people.is_in_nationbuilder
        and people.primary_email is not null
        and engagement.actions_count > 0
        and contactability.can_email
)

select * from activists
