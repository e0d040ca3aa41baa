"""Connection settings of one API credential, with the documented defaults of each API."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from sources.http.errors import redact_url

NATIONBUILDER = "nationbuilder"
ACTION_NETWORK = "action_network"

# Returns fresh auth headers after NB answers 401 token_expired, or None when it cannot refresh.
RefreshHook = Callable[[], Awaitable[Mapping[str, str] | None]]


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


def nationbuilder_settings(base_url: str, token: str, **overrides: Any) -> ApiSettings:
    """NB v2/v1 settings: Bearer token, 25 req/s with bursts of 10 (NB allows 250 per 10 s).

    The 25/s average alone could overrun NB's fixed window by the burst; the limiter's
    RateLimit-Remaining tracking closes that gap.
    """
    settings = ApiSettings(
        api=NATIONBUILDER,
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        rate=25.0,
        burst=10,
        window_margin=2,
        max_in_flight=16,
    )
    return dataclasses.replace(settings, **overrides)


def action_network_settings(base_url: str, api_key: str, **overrides: Any) -> ApiSettings:
    """AN v2 settings: OSDI-API-Token header, 4 req/s without bursts (AN's limit is 4/s)."""
    settings = ApiSettings(
        api=ACTION_NETWORK,
        base_url=base_url,
        headers={"OSDI-API-Token": api_key},
        rate=4.0,
        burst=1,
        max_in_flight=4,
    )
    return dataclasses.replace(settings, **overrides)
