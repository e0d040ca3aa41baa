-- What each live person record says about emailing, texting and calling its person: `verdict` is
-- 'ok' or why not, and `strength` ranks the answers (1 is the strongest; contactability lets the
-- strictest one win). A record with no address for a channel says nothing about it (no row),
-- except that NationBuilder's do_not_contact (every channel) and unsubscribe time (email) hold
-- whether or not the record has one.
--
-- NationBuilder, first rule that applies: do_not_contact -> do_not_contact. Email (the primary
-- address, slot `primary_email_id`): `unsubscribed_at` set -> unsubscribed, that slot bouncing ->
-- bouncing or bad -> bad_address, no `email_opt_in` -> not_opted_in. Text (`mobile_number`):
-- `is_mobile_bad` -> bad_number, no `mobile_opt_in` -> not_opted_in. Call (a phone or mobile
-- number): `do_not_call` -> do_not_call.
-- Action Network: email follows the status of the primary address, text that of the primary
-- phone (the one the API flags primary, else the first): subscribed -> ok; one mentioning spam
-- (spam complaint) -> spam_complaint; unsubscribed; one mentioning a bounce (bouncing, previous
-- bounce) -> bouncing; none or any other -> not_subscribed. Action Network keeps no calling
-- preference (its phone status is about texts), so a number is one it may be called on.
--
-- [checks]
-- unique = [["record_key", "channel"]]
-- not_null = ["record_key", "source", "channel", "verdict", "strength"]
-- relationships = { record_key = "int_people__source_records.record_key" }
--
-- [checks.accepted_values]
-- source = ["nationbuilder", "action_network"]
-- channel = ["email", "text", "call"]

with signups as (
    select * from stg_nationbuilder__signups
),

addresses as (
    select * from int_action_network__email_addresses
),

numbers as (
    select * from int_action_network__phone_numbers
),

-- every answer, strongest first
reasons as (
    select * from (
        values
            ('do_not_contact', 1),
            ('spam_complaint', 2),
            ('unsubscribed', 3),
            ('do_not_call', 4),
            ('bouncing', 5),
            ('bad_address', 6),
            ('bad_number', 7),
            ('not_opted_in', 8),
            ('not_subscribed', 9),
            ('ok', 10)
    ) as listed (verdict, strength)
),

nationbuilder_records as (
    select
        'nationbuilder:' || coalesce(nullif(account, 'default') || ':', '') || signup_id
            as record_key,
        coalesce(is_do_not_contact, false) as is_do_not_contact,
        coalesce(is_do_not_call, false) as is_do_not_call,
        unsubscribed_at,
        coalesce(is_email_opted_in, false) as is_email_opted_in,
        coalesce(is_mobile_opted_in, false) as is_mobile_opted_in,
        coalesce(is_mobile_bad, false) as is_mobile_bad,
        coalesce(
            case coalesce(primary_email_slot, 1)
                when 1 then is_email1_bouncing
                when 2 then is_email2_bouncing
                when 3 then is_email3_bouncing
                else is_email4_bouncing
            end,
            false
        ) as is_primary_email_bouncing,
        coalesce(
            case coalesce(primary_email_slot, 1)
                when 1 then is_email1_bad
                when 2 then is_email2_bad
                when 3 then is_email3_bad
                else is_email4_bad
            end,
            false
        ) as is_primary_email_bad,
        nullif(trim(primary_email), '') is not null as has_email,
        nullif(trim(mobile_number), '') is not null as has_mobile,
        nullif(trim(phone_number), '') is not null as has_phone
    from signups
    where deleted_at is null
),

nationbuilder_verdicts as (
    select
        record_key,
        'email' as channel,
        case
            when is_do_not_contact then 'do_not_contact'
            when unsubscribed_at is not null then 'unsubscribed'
            when not has_email then null
            when is_primary_email_bouncing then 'bouncing'
            when is_primary_email_bad then 'bad_address'
            when is_email_opted_in then 'ok'
            else 'not_opted_in'
        end as verdict
    from nationbuilder_records

    union all

    select
        record_key,
        'text',
        case
            when is_do_not_contact then 'do_not_contact'
            when not has_mobile then null
            when is_mobile_bad then 'bad_number'
            when is_mobile_opted_in then 'ok'
            else 'not_opted_in'
        end
    from nationbuilder_records

    union all

    select
        record_key,
        'call',
        case
            when is_do_not_contact then 'do_not_contact'
            when not (has_mobile or has_phone) then null
            when is_do_not_call then 'do_not_call'
            else 'ok'
        end
    from nationbuilder_records
),

-- the address and the number the API flags primary, else the first; calls go to that number
primary_points as (
    select
        person_id,
        channel,
        point,
        status
    from (
        select
            *,
            row_number() over (
                partition by person_id, channel order by is_primary desc, position
            ) as rank_in_person
        from (
            select person_id, 'email' as channel, position, is_primary, address as point, status
            from addresses
            union all
            select person_id, 'text' as channel, position, is_primary, number as point, status
            from numbers
        ) as points
    ) as ranked
    where rank_in_person = 1
),

action_network_points as (
    select * from primary_points
    union all
    select person_id, 'call' as channel, point, status from primary_points where channel = 'text'
),

action_network_verdicts as (
    select
        person_id as record_key,
        channel,
        case
            when nullif(trim(point), '') is null then null
            when channel = 'call' then 'ok'
            when lower(trim(status)) = 'subscribed' then 'ok'
            when lower(status) like '%spam%' then 'spam_complaint'
            when lower(trim(status)) = 'unsubscribed' then 'unsubscribed'
            when lower(status) like '%bounc%' then 'bouncing'
            else 'not_subscribed'
        end as verdict
    from action_network_points
),

unioned as (
    select record_key, 'nationbuilder' as source, channel, verdict from nationbuilder_verdicts
    union all
    select record_key, 'action_network' as source, channel, verdict from action_network_verdicts
),

final as (
    select
        unioned.record_key,
        unioned.source,
        unioned.channel,
        unioned.verdict,
        reasons.strength
    from unioned
    left join reasons on reasons.verdict = unioned.verdict
    where unioned.verdict is not null
)

select * from final
