-- NationBuilder signups (people) as loaded, renamed and typed; deleted ones keep `deleted_at`.
-- `email` is NationBuilder's primary address, one of email1..email4 (`primary_email_slot`
-- says which); `is_email<n>_bad` and `is_email<n>_bouncing` are about slot n.
--
-- [checks]
-- unique = [["account", "signup_id"]]
-- not_null = ["signup_id"]

with source as (
    select * from nationbuilder.signups
),

renamed as (
    select
        cast(id as bigint) as signup_id,
        cast(first_name as varchar) as first_name,
        cast(last_name as varchar) as last_name,
        cast(email as varchar) as primary_email,
        cast(email1 as varchar) as email1,
        cast(email2 as varchar) as email2,
        cast(email3 as varchar) as email3,
        cast(email4 as varchar) as email4,
        cast(primary_email_id as bigint) as primary_email_slot,
        cast(phone_number as varchar) as phone_number,
        cast(mobile_number as varchar) as mobile_number,
        cast(email_opt_in as boolean) as is_email_opted_in,
        cast(mobile_opt_in as boolean) as is_mobile_opted_in,
        cast(do_not_call as boolean) as is_do_not_call,
        cast(do_not_contact as boolean) as is_do_not_contact,
        cast(email1_is_bad as boolean) as is_email1_bad,
        cast(email2_is_bad as boolean) as is_email2_bad,
        cast(email3_is_bad as boolean) as is_email3_bad,
        cast(email4_is_bad as boolean) as is_email4_bad,
        cast(email1_is_bouncing as boolean) as is_email1_bouncing,
        cast(email2_is_bouncing as boolean) as is_email2_bouncing,
        cast(email3_is_bouncing as boolean) as is_email3_bouncing,
        cast(email4_is_bouncing as boolean) as is_email4_bouncing,
        cast(is_mobile_bad as boolean) as is_mobile_bad,
        cast(unsubscribed_at as timestamptz) as unsubscribed_at,
        cast(is_volunteer as boolean) as is_volunteer,
        cast(is_supporter as boolean) as is_supporter,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(deleted_at as timestamptz) as deleted_at,
        coalesce(cast(account as varchar), 'default') as account
    from source
)

select * from renamed
