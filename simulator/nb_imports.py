"""NationBuilder v1 people imports: decode the file, move queued -> working -> finished, apply."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from typing import Any

from simulator.nb_api import BadRequest
from simulator.nb_data import NationData
from simulator.store import Store

MAX_FILE_BYTES = 50 * 1024 * 1024  # the documented 50 MB, read generously
STATES = ("queued", "working", "finished")
BASE64_URLSAFE = re.compile(r"[A-Za-z0-9_-]*={0,2}")
# Signup attributes a people import sets; other columns are ignored, as unknown headers are live.
IMPORTABLE = (
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "phone_number",
    "mobile_number",
    "external_id",
    "employer",
    "note",
    "sex",
    "born_at",
)


def create_import(nation: NationData, body: dict[str, Any]) -> dict[str, Any]:
    """Validates and queues an import; nothing changes in the nation until it finishes."""
    spec = body.get("import")
    if not isinstance(spec, dict):
        raise BadRequest("invalid_import", "import is required")
    if spec.get("type") != "people":
        raise BadRequest("invalid_type", "type must be people (ballot imports are not simulated)")
    data = _decode(spec.get("file"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("invalid_file", "file is not UTF-8") from None
    import_id = nation.new_id("imports")
    nation.imports[import_id] = {
        "id": import_id,
        "type": "people",
        "is_overwritable": spec.get("is_overwritable") is True,
        "status": STATES[0],
        "rows": list(csv.DictReader(io.StringIO(text, newline=""))),
        "result": None,
    }
    return nation.imports[import_id]


def _decode(file: Any) -> bytes:
    """The documented encoding only: base64 with the URL-safe alphabet, padded or not."""
    if not isinstance(file, str) or not file or not BASE64_URLSAFE.fullmatch(file):
        raise BadRequest("invalid_file", "file must be base64 with the URL-safe alphabet")
    try:
        data = base64.urlsafe_b64decode(file + "=" * (-len(file) % 4))
    except (binascii.Error, ValueError):
        raise BadRequest("invalid_file", "file is not valid base64") from None
    if len(data) > MAX_FILE_BYTES:
        raise BadRequest("file_too_large", "Each import should be 50mb or less")
    return data


def advance(store: Store, record: dict[str, Any]) -> None:
    """One state per status poll; the rows are applied when the import reaches `finished`."""
    if record["status"] == STATES[-1]:
        return
    record["status"] = STATES[STATES.index(record["status"]) + 1]
    if record["status"] == STATES[-1]:
        record["result"] = apply_rows(store, record.pop("rows"), record["is_overwritable"])
        store.version += 1


def render_import(record: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {"name": record["status"]}
    if record["status"] == STATES[0]:
        status.update(queue="importshigh", position=0)
    return {
        "id": record["id"],
        "type": record["type"],
        "status": status,
        "is_overwritable": record["is_overwritable"],
    }


def apply_rows(store: Store, rows: list[dict[str, Any]], overwrite: bool) -> dict[str, int]:
    """Match each row to a signup by email (any of its four) or create one.

    A row fails without an email and a name, or with an email lacking '@'. rows_succeeded counts
    every row applied; rows_updated those of them that matched someone already there. Without
    `overwrite`, an import only fills empty fields of a matched signup.
    """
    nation, when = store.nation, store.now()
    by_email = {
        address.lower(): signup_id
        for signup_id, row in nation.signups.items()
        for address in (row["email"], row["email1"], row["email2"], row["email3"], row["email4"])
        if address
    }
    succeeded = updated = failed = 0
    for row in rows:
        values = {key: row[key].strip() for key in IMPORTABLE if (row.get(key) or "").strip()}
        email = values.get("email", "").lower()
        named = "first_name" in values or "last_name" in values
        if (email and "@" not in email) or not (email or named):
            failed += 1
            continue
        signup_id = by_email.get(email) if email else None
        if signup_id is None:
            signup_id = nation.new_id("signups")
            nation.signups[signup_id] = new_signup(signup_id, values, when)
            if email:
                by_email[email] = signup_id
        else:
            signup = nation.signups[signup_id]
            values.pop("email", None)  # the key it matched on; the primary email stays as it was
            for key, value in values.items():
                if overwrite or not signup.get(key):
                    signup[key] = value
            signup["updated_at"] = when
            updated += 1
        succeeded += 1
    return {"rows_succeeded": succeeded, "rows_updated": updated, "rows_failed": failed}


def new_signup(signup_id: int, values: dict[str, str], when: int) -> dict[str, Any]:
    """A signup with every key `make_signup` gives one, so the renderers treat it the same."""
    email = values.get("email")
    return {
        "id": signup_id,
        "first_name": values.get("first_name"),
        "last_name": values.get("last_name"),
        "middle_name": values.get("middle_name"),
        "email": email,
        "email1": email,
        "email2": None,
        "email3": None,
        "email4": None,
        "primary_email_id": 1 if email else None,
        "email_opt_in": False,
        "phone_number": values.get("phone_number"),
        "mobile_number": values.get("mobile_number"),
        "is_volunteer": False,
        "is_supporter": False,
        "support_level": None,
        "born_at": values.get("born_at"),
        "recruiter_id": None,
        "external_id": values.get("external_id"),
        "note": values.get("note"),
        "sex": values.get("sex"),
        "employer": values.get("employer"),
        "custom_values": {},
        "created_at": when,
        "updated_at": when,
    }
