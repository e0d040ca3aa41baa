-- Who is on which list: NationBuilder list members (Action Network list items are not loaded).
-- A pair taken off the list, a deleted list, or a member whose signup is deleted do not count.
-- List and signup ids are per nation: `account` says which nation's list it is.
--
-- [checks]
-- unique = [["account", "list_id", "nationbuilder_signup_id"]]
-- not_null = ["list_id", "person_id", "nationbuilder_signup_id"]
-- relationships = { person_id = "people.person_id" }

with list_signups as (
    select * from stg_nationbuilder__list_signups
),

lists as (
    select * from stg_nationbuilder__lists
),

matched as (
    select * from int_people__matched_across_sources
),

final as (
    select
        'nationbuilder' as source,
        lists.account,
        lists.list_id,
        lists.list_name,
        lists.list_slug,
        matched.person_id,
        list_signups.signup_id as nationbuilder_signup_id
    from list_signups
    inner join lists
        on lists.account = list_signups.account
        and lists.list_id = list_signups.list_id
    inner join matched
        on matched.record_key = 'nationbuilder:' || coalesce(nullif(list_signups.account, 'default') || ':', '')
        || list_signups.signup_id
    where list_signups.deleted_at is null and lists.deleted_at is null
)

select * from final
