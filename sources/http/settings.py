"""Connection settings of one API credential: what any JSON API over HTTP needs to be called.

Each source package makes its own from these (its base URL, auth header, rate, how its error
bodies read, what a 401 that a refresh can fix looks like, what to tell a person who must fix
the credential); nothing here knows one API from another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from yarl import URL

from sources.http.errors import redact_url

# Returns fresh auth headers after a 401 that `refresh_on` names, or None when it cannot refresh.
RefreshHook = Callable[[], Awaitable[Mapping[str, str] | None]]
# (code, message) read from an error response's body and reason phrase.
ErrorFields = Callable[[bytes, str], tuple[str | None, str]]


def read_error_body(body: bytes, reason: str) -> tuple[str | None, dict[str, Any] | str]:
    """The reason phrase as a code (`not_found`), and the body as a JSON object, or as text
    when it is not one: where every API's error parser starts."""
    code = "_".join(reason.lower().split()) or None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return code, body.decode("utf-8", "replace")
    return code, doc if isinstance(doc, dict) else ""


def plain_error_fields(body: bytes, reason: str) -> tuple[str | None, str]:
    """The reason phrase as the code and the body's text (or its `message`) as the message."""
    code, doc = read_error_body(body, reason)
    return code, doc if isinstance(doc, str) else str(doc.get("message") or "")


@dataclass(frozen=True)
class ApiSettings:
    """Everything an ApiClient needs; `headers` carries the credential and is kept out of repr."""

    api: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    rate: float = 4.0
    burst: int = 1
    # Requests of the server's fixed window left unspent: it may count one sent just before
    # its boundary in the new window.
    window_margin: int = 0
    max_in_flight: int = 4
    timeout: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    user_agent: str = "civic-etl/0.1"
    on_unauthorized: RefreshHook | None = field(default=None, repr=False, compare=False)
    # 401 codes that mean "renew the token and try again" (when `on_unauthorized` is set).
    refresh_on: frozenset[str] = frozenset()
    # What a person should do about a 401/403: added to the one-line error.
    auth_hint: str = "check the API credentials"
    # What a person should do about a 404 on a collection, which almost always means a wrong
    # base URL: added to the one-line error.
    not_found_hint: str = "check the base_url"
    error_fields: ErrorFields = field(default=plain_error_fields, repr=False, compare=False)

    def __post_init__(self) -> None:
        url = URL(self.base_url)
        if url.scheme not in ("http", "https") or not url.host:
            shown = redact_url(self.base_url)
            raise ValueError(f"base_url must be an absolute http(s) URL, got {shown}")
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")

    def credential_fingerprint(self) -> str:
        """A stable digest of the auth headers: lets clients be keyed by credential safely."""
        material = "\n".join(f"{k.lower()}:{v}" for k, v in sorted(self.headers.items()))
        return hashlib.sha256(material.encode()).hexdigest()
