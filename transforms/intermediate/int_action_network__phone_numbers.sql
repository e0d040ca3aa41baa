-- Every phone number of every Action Network person, one row each, in the API's order
-- (`position` from 0), with its (text message) subscription `status` as the API spells it.
-- Walked by an integer index, as int_action_network__email_addresses walks the addresses.
--
-- [checks]
-- unique = [["person_id", "position"]]
-- not_null = ["person_id", "position", "is_primary"]

with action_network_people as (
    select * from stg_action_network__people
),

numbers as (
    select
        action_network_people.person_id,
        positions.position,
        action_network_people.phone_numbers -> cast(positions.position as integer) ->> 'number'
            as number,
        action_network_people.phone_numbers -> cast(positions.position as integer) ->> 'status'
            as status,
        coalesce(
            action_network_people.phone_numbers -> cast(positions.position as integer)
            ->> 'primary' = 'true',
            false
        ) as is_primary
    from action_network_people
    cross join lateral generate_series(
        cast(0 as bigint),
        cast(json_array_length(action_network_people.phone_numbers) as bigint) - 1
    ) as positions (position)
    where action_network_people.deleted_at is null
)

select * from numbers
