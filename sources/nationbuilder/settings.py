"""NationBuilder endpoints, page sizes and how each collection loads (cursor, deletions)."""

from __future__ import annotations

from dataclasses import dataclass

from sources.nationbuilder import schemas

PAGE_SIZE = 100  # v2 maximum; larger values are clamped by the API
V1_PAGE_LIMIT = 100
LIST_READS = 4  # lists whose members are read at once (each one a paged walk of its own)
# Pages a first load commits per dlt load: what a killed first load reads again at most, and
# what bounds the memory of its merge (250,000 rows; see sources/nationbuilder/chunks.py).
CHUNK_PAGES = 2_500
OVERLAP_SECONDS = 3600  # re-read this much before the saved cursor: late commits, clock skew


@dataclass(frozen=True)
class Collection:
    """One v2 index endpoint and the table it fills.

    `cursor` is the timestamp the API can filter on for incremental loads; collections without
    one (events, petitions, signup_tags carry no timestamps) are small and reloaded whole.
    """

    name: str
    columns: dict[str, str]
    cursor: str | None

    @property
    def path(self) -> str:
        return f"/api/v2/{self.name}"

    @property
    def sweeps_deletions(self) -> bool:
        return self.cursor is not None


COLLECTIONS: tuple[Collection, ...] = (
    Collection("signups", schemas.SIGNUPS, "updated_at"),
    Collection("donations", schemas.DONATIONS, "updated_at"),
    Collection("signup_tags", schemas.SIGNUP_TAGS, None),
    Collection("signup_taggings", schemas.SIGNUP_TAGGINGS, "created_at"),
    Collection("events", schemas.EVENTS, None),
    Collection("event_rsvps", schemas.EVENT_RSVPS, "updated_at"),
    Collection("memberships", schemas.MEMBERSHIPS, "updated_at"),
    Collection("petitions", schemas.PETITIONS, None),
    Collection("petition_signatures", schemas.PETITION_SIGNATURES, "updated_at"),
    Collection("paths", schemas.PATHS, "updated_at"),
    Collection("path_journeys", schemas.PATH_JOURNEYS, "updated_at"),
)
