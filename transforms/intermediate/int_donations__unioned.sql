-- Every live donation of either system in one currency-aware shape, keyed to the person record
-- that gave it. NationBuilder amounts are USD; Action Network's carry their own currency, else
-- their fundraising page's. `donated_at` is when the money moved: NationBuilder's
-- `succeeded_at` when it has one, else when the donation was recorded. Action Network marks
-- recurring gifts and their period (lower-cased: 'monthly', 'weekly', 'every 3 months', ...);
-- NationBuilder's API marks none (a donation's `pledge_id` is a promise to give, not a
-- recurrence), so its `is_recurring` is null: not known. `donation_id` is
-- `<source>:donation:[<account>:]<id>`, as the donation's `action_id` in `actions` (Action
-- Network donations are actions too).
--
-- [checks]
-- unique = ["donation_id"]
-- not_null = ["donation_id", "source", "amount_cents", "currency"]
--
-- [checks.row_count]
-- "live NB donations + live AN donations" = """
--     (select count(*) from stg_nationbuilder__donations where deleted_at is null)
--     + (select count(*) from stg_action_network__donations where deleted_at is null)
-- """

with nationbuilder_donations as (
    select * from stg_nationbuilder__donations
),

action_network_donations as (
    select * from stg_action_network__donations
),

fundraising_pages as (
    select * from stg_action_network__fundraising_pages
),

from_nationbuilder as (
    select
        'nationbuilder:donation:' || coalesce(nullif(account, 'default') || ':', '') || donation_id
            as donation_id,
        'nationbuilder' as source,
        cast(donation_id as varchar) as source_donation_id,
        'nationbuilder:' || coalesce(nullif(account, 'default') || ':', '') || signup_id as person_record_key,
        amount_cents,
        currency,
        status,
        cast(null as boolean) as is_recurring,
        cast(null as varchar) as recurrence_period,
        payment_type_name,
        page_id,
        cast(null as varchar) as fundraising_page_id,
        cast(null as varchar) as page_title,
        coalesce(succeeded_at, created_at) as donated_at,
        created_at
    from nationbuilder_donations
    where deleted_at is null
),

-- Action Network records a donation once it has gone through, so each one succeeded
from_action_network as (
    select
        'action_network:donation:'
        || coalesce(nullif(action_network_donations.account, 'default') || ':', '')
        || replace(action_network_donations.donation_id, 'action_network:', '') as donation_id,
        'action_network' as source,
        action_network_donations.donation_id as source_donation_id,
        action_network_donations.person_id as person_record_key,
        action_network_donations.amount_cents,
        coalesce(
            nullif(action_network_donations.currency, ''),
            nullif(fundraising_pages.currency, '')
        ) as currency,
        'succeeded' as status,
        action_network_donations.is_recurring,
        case
            when action_network_donations.is_recurring
                then lower(trim(action_network_donations.recurrence_period))
        end as recurrence_period,
        cast(null as varchar) as payment_type_name,
        cast(null as bigint) as page_id,
        action_network_donations.fundraising_page_id,
        coalesce(fundraising_pages.title, fundraising_pages.internal_name) as page_title,
        action_network_donations.created_at as donated_at,
        action_network_donations.created_at
    from action_network_donations
    left join fundraising_pages
        on fundraising_pages.fundraising_page_id = action_network_donations.fundraising_page_id
    where action_network_donations.deleted_at is null
),

unioned as (
    select * from from_nationbuilder
    union all
    select * from from_action_network
)

select * from unioned
