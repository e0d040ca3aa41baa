"""Action Network endpoints, page size, defaults, and how each collection loads."""

from __future__ import annotations

from dataclasses import dataclass

from sources.action_network import schemas

DEFAULT_BASE_URL = "https://actionnetwork.org/api/v2"
PER_PAGE = 25  # the API's maximum
RATE_PER_SECOND = 4.0  # AN's limit per API key
CONCURRENCY = 4
OVERLAP_SECONDS = 3600  # re-read this much before the saved cursor: late commits, clock skew
# Pages of people a first load commits per dlt load: 10,000 people, 100 s at the limit, so a
# killed first load of a million reads at most that again and a load's overhead stays small.
CHUNK_PAGES = 400
READ_TIMEOUT = 30.0  # seconds a response may stall before the request is retried
# OData names of the modification time: the live v2 API's first, then the v1-era doc copy's.
MODIFIED_FIELDS = ("modified_date", "modified_at")
# Namespaced collections are embedded under their namespace; the rest under `osdi:`.
NAMESPACES = {"campaigns": "action_network"}


@dataclass(frozen=True)
class Collection:
    """One AN collection, read from `/<name>` (or under a parent), filling the table `name`."""

    name: str
    columns: dict[str, str]

    @property
    def embedded_key(self) -> str:
        """Where a page holds its records (attendances too; only `_links` says osdi:attendance)."""
        return f"{NAMESPACES.get(self.name, 'osdi')}:{self.name}"


@dataclass(frozen=True)
class Nested:
    """A parent collection, read whole every run, and the action collection under each parent.

    `incremental` children are listed with the modified filter and merged; the others (taggings:
    the API cannot filter them) are listed whole and replace their table.
    """

    parent: Collection
    child: Collection
    parent_key: str
    incremental: bool = True

    def child_path(self, parent_uuid: str) -> str:
        return f"{self.parent.name}/{parent_uuid}/{self.child.name}"


PEOPLE = Collection("people", schemas.PEOPLE)

NESTED: tuple[Nested, ...] = (
    Nested(
        Collection("petitions", schemas.PETITIONS),
        Collection("signatures", schemas.SIGNATURES),
        "petition_id",
    ),
    Nested(
        Collection("events", schemas.EVENTS),
        Collection("attendances", schemas.ATTENDANCES),
        "event_id",
    ),
    Nested(
        Collection("forms", schemas.FORMS),
        Collection("submissions", schemas.SUBMISSIONS),
        "form_id",
    ),
    Nested(
        Collection("fundraising_pages", schemas.FUNDRAISING_PAGES),
        Collection("donations", schemas.DONATIONS),
        "fundraising_page_id",
    ),
    Nested(
        Collection("advocacy_campaigns", schemas.ADVOCACY_CAMPAIGNS),
        Collection("outreaches", schemas.OUTREACHES),
        "advocacy_campaign_id",
    ),
    Nested(
        Collection("tags", schemas.TAGS),
        Collection("taggings", schemas.TAGGINGS),
        "tag_id",
        incremental=False,
    ),
)

# Small collections without children, reloaded whole (lists and messages cannot be filtered).
STANDALONE: tuple[Collection, ...] = (
    Collection("campaigns", schemas.CAMPAIGNS),
    Collection("lists", schemas.LISTS),
    Collection("messages", schemas.MESSAGES),
)
