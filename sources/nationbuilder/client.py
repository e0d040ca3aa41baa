"""How NationBuilder is called: its auth header, rate limit, error bodies and what to do on a 401.

NationBuilder allows 250 requests per 10 s per token in fixed windows and says, on every answer,
how many the window has left (`RateLimit-Remaining`, `RateLimit-Reset`); an expired token gets
`401 {"code": "token_expired"}`, which an OAuth refresh fixes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sources.http import ApiSettings, read_error_body

API = "nationbuilder"
TOKEN_HELP = (
    "get a new token (Settings > Developer > API token, or configure "
    "client_id/client_secret/refresh_token for automatic refresh)"
)

BASE_URL_HELP = (
    "check base_url (SOURCES__NATIONBUILDER__BASE_URL, or the account's): the nation's own "
    "address, such as https://yournation.nationbuilder.com, without /api/v2"
)


def error_fields(body: bytes, reason: str) -> tuple[str | None, str]:
    """(code, message) from `{"code", "message"}`, or a 422's `{"errors": [{code, detail}]}`."""
    fallback, doc = read_error_body(body, reason)
    if isinstance(doc, str):
        return fallback, doc
    errors = doc.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("code") or fallback), str(first.get("detail") or "")
    code = doc.get("code")
    return (str(code) if code else fallback), str(doc.get("message") or "")


def nationbuilder_settings(base_url: str, token: str, **overrides: Any) -> ApiSettings:
    """v2/v1 settings: Bearer token, 25 req/s on average with bursts of up to 50, within NB's
    fixed windows of 250 requests per 10 s: the window is tracked from every answer's
    RateLimit headers and 2 of its requests are left unspent, so it is never overrun, even by
    one counted late. A collection of fewer than 250 pages is read faster than 25/s. Up to 32
    requests in flight, what the rate needs when pages take a second to answer."""
    settings = ApiSettings(
        api=API,
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        rate=25.0,
        burst=50,
        window_margin=2,
        max_in_flight=32,
        refresh_on=frozenset({"token_expired"}),
        auth_hint=TOKEN_HELP,
        not_found_hint=BASE_URL_HELP,
        error_fields=error_fields,
    )
    return dataclasses.replace(settings, **overrides)
