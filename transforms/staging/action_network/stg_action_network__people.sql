-- Action Network people as loaded, renamed and typed. `email_addresses` keeps every address a
-- person has (not only the primary one), as the API's JSON array of {address, primary, status}:
-- matching across systems needs all of them (int_people__emails reads them). `phone_numbers`
-- likewise, as {number, primary, number_type, status}.
--
-- [checks]
-- unique = ["person_id"]
-- not_null = ["person_id"]

with source as (
    select * from action_network.people
),

renamed as (
    select
        cast(id as varchar) as person_id,
        cast(given_name as varchar) as first_name,
        cast(family_name as varchar) as last_name,
        cast(primary_email as varchar) as primary_email,
        cast(email_addresses as json) as email_addresses,
        cast(phone_numbers as json) as phone_numbers,
        cast(primary_phone as varchar) as primary_phone,
        cast(postal_code as varchar) as postal_code,
        cast(region as varchar) as region,
        cast(country as varchar) as country,
        cast(created_at as timestamptz) as created_at,
        cast(modified_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
