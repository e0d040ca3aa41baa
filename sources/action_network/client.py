"""How Action Network is called: its API key header, rate limit and error bodies.

Action Network allows 4 requests per second per API key; errors come as `{"error": "..."}`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sources.http import ApiSettings, read_error_body

API = "action_network"
KEY_HELP = "check SOURCES__ACTION_NETWORK__API_KEY (API & Sync page)"
BASE_URL_HELP = (
    "check base_url (SOURCES__ACTION_NETWORK__BASE_URL, or the account's): "
    "https://actionnetwork.org/api/v2, ending in /api/v2"
)


def error_fields(body: bytes, reason: str) -> tuple[str | None, str]:
    """(code, message) from `{"error": "..."}`; the reason phrase is the code."""
    code, doc = read_error_body(body, reason)
    if isinstance(doc, str):
        return code, doc
    return code, str(doc.get("error") or doc.get("message") or "")


def action_network_settings(base_url: str, api_key: str, **overrides: Any) -> ApiSettings:
    """v2 settings: OSDI-API-Token header, 4 req/s without bursts (AN's limit is 4/s); more
    slots than the rate needs keep one collection's slow deep pages from holding every
    connection while the others wait."""
    settings = ApiSettings(
        api=API,
        base_url=base_url,
        headers={"OSDI-API-Token": api_key},
        rate=4.0,
        burst=1,
        max_in_flight=16,
        auth_hint=KEY_HELP,
        not_found_hint=BASE_URL_HELP,
        error_fields=error_fields,
    )
    return dataclasses.replace(settings, **overrides)
