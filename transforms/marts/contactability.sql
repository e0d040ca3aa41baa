-- Who may be emailed, texted and called: one row per person of `people`. Each of a person's
-- records answers yes, no and why, or nothing (int_people__contact_verdicts has the rules). The
-- strictest answer wins: when the systems disagree the person is not contacted, and
-- `<channel>_blocked_by` says which system said no ('nationbuilder', 'action_network', 'both').
-- `<channel>_blocked_reason` is the strongest reason given (do_not_contact, spam_complaint,
-- unsubscribed, do_not_call, bouncing, bad_address, bad_number, not_opted_in, not_subscribed),
-- or no_email / no_mobile / no_phone when no record has an address for the channel (then no
-- system said no). `nationbuilder_<channel>` and `action_network_<channel>` are each system's
-- own answer: 'ok' or its strongest reason, null when it says nothing. Segments join this on
-- `person_id` to leave out whoever their channel cannot reach:
--     ... join analytics.contactability as c using (person_id) where c.can_email
--
-- [checks]
-- unique = ["person_id"]
-- not_null = ["person_id", "can_email", "can_text", "can_call"]
-- relationships = { person_id = "people.person_id" }
--
-- [checks.accepted_values]
-- email_blocked_reason = [
--     "do_not_contact", "spam_complaint", "unsubscribed", "bouncing", "bad_address",
--     "not_opted_in", "not_subscribed", "no_email",
-- ]
-- text_blocked_reason = [
--     "do_not_contact", "spam_complaint", "unsubscribed", "bouncing", "bad_number",
--     "not_opted_in", "not_subscribed", "no_mobile",
-- ]
-- call_blocked_reason = ["do_not_contact", "do_not_call", "no_phone"]
-- email_blocked_by = ["nationbuilder", "action_network", "both"]
-- text_blocked_by = ["nationbuilder", "action_network", "both"]
-- call_blocked_by = ["nationbuilder", "action_network", "both"]
--
-- [checks.expect]
-- "contactable exactly when nothing blocks" = """
--     can_email = (email_blocked_reason is null)
--     and can_text = (text_blocked_reason is null)
--     and can_call = (call_blocked_reason is null)
-- """
-- "a system is named exactly when one said no" = """
--     (email_blocked_by is null) = coalesce(email_blocked_reason = 'no_email', true)
--     and (text_blocked_by is null) = coalesce(text_blocked_reason = 'no_mobile', true)
--     and (call_blocked_by is null) = coalesce(call_blocked_reason = 'no_phone', true)
-- """
--
-- [checks.row_count]
-- "one row per person" = "(select count(*) from people)"

with everyone as (
    select * from people
),

matched as (
    select * from int_people__matched_across_sources
),

verdicts as (
    select * from int_people__contact_verdicts
),

-- each system's strongest answer per person and channel, ranked against the other system's
system_verdicts as (
    select
        person_id,
        source,
        channel,
        verdict,
        row_number() over (partition by person_id, channel order by strength, source)
            as rank_in_person
    from (
        select
            matched.person_id,
            verdicts.source,
            verdicts.channel,
            verdicts.verdict,
            verdicts.strength,
            row_number() over (
                partition by matched.person_id, verdicts.source, verdicts.channel
                order by verdicts.strength
            ) as rank_in_system
        from verdicts
        inner join matched on matched.record_key = verdicts.record_key
    ) as ranked
    where rank_in_system = 1
),

channels as (
    select
        person_id,
        channel,
        max(verdict) filter (where rank_in_person = 1) as verdict,
        case
            when count(*) filter (where verdict <> 'ok') = 2 then 'both'
            else max(source) filter (where verdict <> 'ok')
        end as blocked_by,
        max(verdict) filter (where source = 'nationbuilder') as nationbuilder_verdict,
        max(verdict) filter (where source = 'action_network') as action_network_verdict
    from system_verdicts
    group by person_id, channel
),

final as (
    select
        everyone.person_id,
        coalesce(email.verdict = 'ok', false) as can_email,
        case
            when email.verdict is null then 'no_email'
            when email.verdict <> 'ok' then email.verdict
        end as email_blocked_reason,
        email.blocked_by as email_blocked_by,
        email.nationbuilder_verdict as nationbuilder_email,
        email.action_network_verdict as action_network_email,
        coalesce(texts.verdict = 'ok', false) as can_text,
        case
            when texts.verdict is null then 'no_mobile'
            when texts.verdict <> 'ok' then texts.verdict
        end as text_blocked_reason,
        texts.blocked_by as text_blocked_by,
        texts.nationbuilder_verdict as nationbuilder_text,
        texts.action_network_verdict as action_network_text,
        coalesce(calls.verdict = 'ok', false) as can_call,
        case
            when calls.verdict is null then 'no_phone'
            when calls.verdict <> 'ok' then calls.verdict
        end as call_blocked_reason,
        calls.blocked_by as call_blocked_by,
        calls.nationbuilder_verdict as nationbuilder_call,
        calls.action_network_verdict as action_network_call
    from everyone
    left join channels as email
        on email.person_id = everyone.person_id and email.channel = 'email'
    left join channels as texts
        on texts.person_id = everyone.person_id and texts.channel = 'text'
    left join channels as calls
        on calls.person_id = everyone.person_id and calls.channel = 'call'
)

select * from final
