"""Segments: the SQL a write-back runs on the warehouse, given inline or saved in segments/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEGMENTS_DIR = Path(__file__).resolve().parent / "segments"
SEGMENT_NAME = re.compile(r"[A-Za-z0-9_-]+")
# The column holding NationBuilder ids, by preference; without any of them, the first column.
ID_COLUMNS = ("nationbuilder_signup_id", "signup_id", "id")


class WritebackError(Exception):
    """A write-back cannot run as asked; the message says what to change."""


@dataclass(frozen=True)
class Segment:
    """The SQL to run, and the saved segment's name (None for SQL given on the command line)."""

    name: str | None
    sql: str

    @property
    def label(self) -> str:
        return self.name or "the query"


def resolve_segment(query: str, segments_dir: Path = SEGMENTS_DIR) -> Segment:
    """A bare name (`petitioners_never_donated`, `.sql` optional) is a saved segment; else SQL."""
    text = query.strip()
    name = text.removesuffix(".sql")
    if not SEGMENT_NAME.fullmatch(name):
        if not text:
            raise WritebackError("the query is empty: pass SQL or the name of a saved segment")
        return Segment(None, text)
    path = segments_dir / f"{name}.sql"
    if not path.is_file():
        saved = ", ".join(sorted(p.stem for p in segments_dir.glob("*.sql"))) or "none"
        raise WritebackError(f"no saved segment {name!r} in {segments_dir} (saved: {saved})")
    return Segment(name, path.read_text(encoding="utf-8"))


def signup_ids(columns: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """The distinct NationBuilder ids in the id column, nulls (people not in NB) left out."""
    lowered = [name.lower() for name in columns]
    index = next((lowered.index(name) for name in ID_COLUMNS if name in lowered), 0)
    ids: set[int] = set()
    for row in rows:
        value = row[index]
        if value is not None:
            ids.add(_signup_id(value, columns[index]))
    return sorted(ids)


def _signup_id(value: Any, column: str) -> int:
    try:
        signup_id = int(str(value).strip()) if not isinstance(value, bool) else 0
    except ValueError:
        signup_id = 0
    if signup_id < 1:
        raise WritebackError(f"column {column!r} holds {value!r}, not a NationBuilder signup id")
    return signup_id
