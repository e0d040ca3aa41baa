-- Every email address of every Action Network person, one row each, in the API's order
-- (`position` from 0), with its subscription `status` as the API spells it. JSON arrays are walked by an integer index, which DuckDB and PostgreSQL
-- both spell the same way, so the model runs on either.
--
-- [checks]
-- unique = [["person_id", "position"]]
-- not_null = ["person_id", "position"]

with action_network_people as (
    select * from stg_action_network__people
),

addresses as (
    select
        action_network_people.person_id,
        positions.position,
        action_network_people.email_addresses -> cast(positions.position as integer) ->> 'address'
            as address,
        action_network_people.email_addresses -> cast(positions.position as integer) ->> 'status'
            as status,
        coalesce(
            action_network_people.email_addresses -> cast(positions.position as integer)
            ->> 'primary' = 'true',
            false
        ) as is_primary
    from action_network_people
    cross join lateral generate_series(
        cast(0 as bigint),
        cast(json_array_length(action_network_people.email_addresses) as bigint) - 1
    ) as positions (position)
    where action_network_people.deleted_at is null
)

select * from addresses
