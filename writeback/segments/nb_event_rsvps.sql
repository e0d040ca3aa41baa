-- Everyone who RSVP'd to a NationBuilder event, for a tag in Action Network: people already in
-- Action Network by their id, the others by their email (found if they joined Action Network
-- since the last extract, e.g. through an-upsert-people; reported as skipped if not):
--     civic-etl an-tag --tag nb-event-rsvp --query nb_event_rsvps

with actions as (
    select * from analytics.actions
),

people as (
    select * from analytics.people
),

rsvpers as (
    select distinct
        people.person_id,
        people.action_network_person_id,
        people.primary_email as email,
    from actions
    inner join people on people.person_id = actions.person_id
    where actions.action_type = 'event_rsvp'
)

select * from rsvpers
