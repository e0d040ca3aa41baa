"""Where an incremental resource left off, kept in its dlt resource state between runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sources.action_network.records import modified_field
from sources.action_network.settings import MODIFIED_FIELDS


def api_time(value: datetime) -> str:
    """The form AN's OData filter takes: `2025-01-01T00:00:00Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Cursor:
    """The newest `modified_at` a resource loaded, and the field name that filters on it.

    The live API filters on `modified_date`, the v1-era doc copy on `modified_at`; the dialect is
    learnt from the records and kept, and a filter the API rejects flips it once (see `flip`).
    Nothing is written to the state until `save()`, which the resource calls only after it read
    everything, so a failed run re-reads from the old position.
    """

    def __init__(self, state: dict[str, Any], overlap_seconds: int) -> None:
        self._state = state
        self.field: str = state.get("modified_field") or MODIFIED_FIELDS[0]
        saved = state.get("cursor")
        self.since: str | None = None  # None: a first (full) load
        if saved:
            overlap = timedelta(seconds=overlap_seconds)
            self.since = api_time(datetime.fromisoformat(saved) - overlap)
        self._newest: datetime | None = None
        self._seen_field: str | None = None

    def params(self) -> dict[str, str]:
        """The filter of an incremental listing; none on the first run (a full load)."""
        if self.since is None:
            return {}
        return {"filter": f"{self.field} gt '{self.since}'"}

    def flip(self, rejected: str) -> None:
        """The API answered 400 to a filter on `rejected`: use the other dialect's name.

        Several listings may fail with the same name at once; only the first flips it back.
        """
        if self.field == rejected:
            self.field = next(name for name in MODIFIED_FIELDS if name != rejected)

    def observe(self, records: list[Any], table: pa.Table) -> None:
        """Notes the dialect and the newest modification of one page."""
        if self._seen_field is None and records and isinstance(records[0], dict):
            self._seen_field = modified_field(records[0])
        if table.num_rows:
            newest = pc.max(table["modified_at"]).as_py()
            if newest is not None and (self._newest is None or newest > self._newest):
                self._newest = newest

    @property
    def newest(self) -> str | None:
        """The newest modification seen so far, as ISO text (what the state keeps)."""
        return self._newest.isoformat() if self._newest is not None else None

    def include(self, newest: str | None) -> None:
        """Counts a modification seen by an earlier chunk of the same first load."""
        if newest is not None:
            seen = datetime.fromisoformat(newest)
            if self._newest is None or seen > self._newest:
                self._newest = seen

    def save(self, not_after: datetime | None = None) -> None:
        """Moves the cursor to the newest record seen, or to `not_after` when that is older (it
        never moves back)."""
        self._state["modified_field"] = self._seen_field or self.field
        saved = self._state.get("cursor")
        newest = self._newest
        if newest is not None and not_after is not None:
            newest = min(newest, not_after)
        if newest is not None and (saved is None or newest > datetime.fromisoformat(saved)):
            self._state["cursor"] = newest.isoformat()
