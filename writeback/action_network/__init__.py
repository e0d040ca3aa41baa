"""Writing back to Action Network through API v2: tags and taggings, the person signup helper."""

from writeback.action_network.client import write_client
from writeback.action_network.people import (
    AnPerson,
    email_key,
    find_person,
    phone_key,
    signup,
)
from writeback.action_network.tags import (
    AnTag,
    add_tagging,
    create_tag,
    find_tag,
    remove_tagging,
    tagged_people,
)

__all__ = [
    "AnPerson",
    "AnTag",
    "add_tagging",
    "create_tag",
    "email_key",
    "find_person",
    "find_tag",
    "phone_key",
    "remove_tagging",
    "signup",
    "tagged_people",
    "write_client",
]
