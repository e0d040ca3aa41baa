-- Every tag a person carries, in either system: one row per person, source and tag. `tag` is
-- the tag's name, trimmed; the same name in another case is the same tag (NationBuilder names
-- are unique ignoring case), so a person tagged "Volunteer" in one nation and "volunteer" in
-- another has one row, with the first spelling in sort order. `tagged_at` is when the tag was
-- first put on one of the person's records (null when no tagging says). A tagging of a deleted
-- or unmatched record, or of a tag that is not loaded or has no name, is left out. To ask for a
-- tag in either system, compare in lower case:
--     select distinct person_id from analytics.person_tags where lower(tag) = 'volunteer 3'
--
-- [checks]
-- unique = [["person_id", "source", "tag"]]
-- not_null = ["person_id", "source", "tag"]
-- accepted_values = { source = ["nationbuilder", "action_network"] }
-- relationships = { person_id = "people.person_id" }

with signup_taggings as (
    select * from stg_nationbuilder__signup_taggings
),

signup_tags as (
    select * from stg_nationbuilder__signup_tags
),

taggings as (
    select * from stg_action_network__taggings
),

action_network_tags as (
    select * from stg_action_network__tags
),

matched as (
    select * from int_people__matched_across_sources
),

unioned as (
    select
        'nationbuilder:' || coalesce(nullif(signup_taggings.account, 'default') || ':', '')
        || signup_taggings.signup_id as record_key,
        'nationbuilder' as source,
        trim(signup_tags.tag_name) as tag,
        signup_taggings.created_at as tagged_at
    from signup_taggings
    inner join signup_tags
        on signup_tags.account = signup_taggings.account
        and signup_tags.tag_id = signup_taggings.tag_id
    where signup_taggings.deleted_at is null

    union all

    select
        taggings.person_id as record_key,
        'action_network' as source,
        trim(action_network_tags.tag_name) as tag,
        taggings.created_at as tagged_at
    from taggings
    inner join action_network_tags on action_network_tags.tag_id = taggings.tag_id
    where taggings.deleted_at is null
),

final as (
    select
        matched.person_id,
        unioned.source,
        min(unioned.tag) as tag,
        min(unioned.tagged_at) as tagged_at
    from unioned
    inner join matched on matched.record_key = unioned.record_key
    where unioned.tag <> ''
    group by matched.person_id, unioned.source, lower(unioned.tag)
)

select * from final
