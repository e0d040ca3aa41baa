"""What the Action Network write-backs read from a segment's rows, and the rows they skip.

Columns are found by name (ignoring case), the first of a few spellings present; values are
cleaned the way Action Network compares them; a row that cannot be sent is kept as a `Skipped`
with its number (1-based, in the segment's order), what identifies it, and why.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sources.action_network.records import bare_uuid
from sources.http import ApiError
from writeback.action_network import email_key, phone_key

EMAIL_COLUMNS = ("email", "primary_email")
SHOWN = 5  # rows named in a summary; the rest are counted


@dataclass(frozen=True)
class Skipped:
    """A row not sent (`skipped`), or sent and refused by Action Network (`refused`)."""

    row: int
    key: str | None
    reason: str
    outcome: str = "skipped"


def column(columns: Sequence[str], names: Sequence[str]) -> int | None:
    """The index of the first of `names` the segment has (ignoring case), else None."""
    lowered = [name.lower() for name in columns]
    return next((lowered.index(name) for name in names if name in lowered), None)


def text(row: Sequence[Any], index: int | None) -> str | None:
    """A cell as trimmed text; None when the column is absent, null or blank."""
    if index is None or row[index] is None:
        return None
    value = str(row[index]).strip()
    return value or None


def email_problem(address: str) -> str | None:
    """Why an address cannot be sent or looked up, or None when it can."""
    if "@" not in address.strip("@") or any(ch.isspace() for ch in address):
        return "not an email address"
    if "'" in address:
        return "an address with a quote cannot be looked up (Action Network's filter syntax)"
    return None


def clean_email(address: str | None) -> tuple[str | None, str | None]:
    """(the address as Action Network compares it, or None; why it is unusable, or None)."""
    if address is None:
        return None, None
    problem = email_problem(address)
    return (None, problem) if problem else (email_key(address), None)


def clean_phone(number: str | None) -> tuple[str | None, str | None]:
    """(the number's digits, or None; why it is unusable, or None)."""
    if number is None:
        return None, None
    digits = phone_key(number)
    return (digits, None) if len(digits) >= 7 else (None, "not a phone number")


def person_uuid(value: str) -> str | None:
    """The bare uuid of an `action_network:<uuid>` id (or a bare one); None if it is not one."""
    bare = bare_uuid(value.strip())
    try:
        return str(uuid.UUID(bare)) if len(bare) == 36 else None
    except ValueError:
        return None


def summarize(skipped: Sequence[Skipped], what: str) -> str:
    """One sentence: how many rows, by reason, and the first few by number."""
    if not skipped:
        return ""
    reasons = Counter(entry.reason for entry in skipped)
    counts = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common())
    shown = ", ".join(
        f"row {entry.row}" + (f" ({entry.key})" if entry.key else "") for entry in skipped[:SHOWN]
    )
    more = f" and {len(skipped) - SHOWN} more" if len(skipped) > SHOWN else ""
    return f" {len(skipped)} {what}: {counts} (e.g. {shown}{more})."


def refusal(exc: ApiError, what: str) -> str:
    """Why Action Network refused one request about a row."""
    return f"Action Network refused {what} ({exc.status}: {exc.message or exc.code or 'no reason'})"


def skipped_rows(run_id: str, command: str, *lists: Sequence[Skipped]) -> list[dict[str, Any]]:
    """A run's skipped and refused rows, as `civic_etl.writeback_skipped_rows` keeps them."""
    return [
        {
            "run_id": run_id,
            "command": command,
            "row_number": entry.row,
            "row_key": entry.key,
            "outcome": entry.outcome,
            "reason": entry.reason,
        }
        for entries in lists
        for entry in entries
    ]
