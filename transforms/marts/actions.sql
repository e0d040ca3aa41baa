-- Every live action a person took in either system: Action Network signatures, attendances,
-- submissions, outreaches and donations; NationBuilder petition signatures and event RSVPs.
-- `action_name` is what it was taken on (petition, event, form... title; NationBuilder
-- petitions: their intro; NationBuilder events: their venue). `action_id` is
-- `<source>:<action_type>:[<account>:]<id>`, unique even where two Action Network collections
-- share an id; `source_action_id` is the record's id in its own table.
--
-- [checks]
-- unique = ["action_id"]
-- not_null = ["action_id", "source", "source_action_id", "action_type"]
-- relationships = { person_id = "people.person_id" }
--
-- [checks.accepted_values]
-- source = ["nationbuilder", "action_network"]
-- action_type = [
--     "signature", "attendance", "submission", "outreach", "donation",
--     "petition_signature", "event_rsvp",
-- ]
--
-- [checks.row_count]
-- "one per live source action" = "(select count(*) from int_actions__unioned)"

with unioned as (
    select * from int_actions__unioned
),

matched as (
    select * from int_people__matched_across_sources
),

final as (
    select
        unioned.action_id,
        matched.person_id,
        unioned.source,
        unioned.source_action_id,
        unioned.action_type,
        unioned.action_name,
        unioned.target_id,
        unioned.acted_at
    from unioned
    left join matched on matched.record_key = unioned.person_record_key
)

select * from final
