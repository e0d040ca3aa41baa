"""The ApiClient that write-back uses: the source's credentials, refresh and rate budget."""

from __future__ import annotations

from pathlib import Path

from sources.http import ApiClient, CredentialRegistry, Credentials
from sources.nationbuilder.auth import DEFAULT_TOKEN_CACHE, authorized_settings

# An import file is up to 50 MB (67 MB once base64-encoded): give its upload time to finish.
UPLOAD_TIMEOUT_SECONDS = 600.0


def push_client(
    base_url: str,
    access_token: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    token_cache: Path = DEFAULT_TOKEN_CACHE,
    registry: Credentials | None = None,
) -> ApiClient:
    """A client on the same token cache as the nightly source, so a token refreshed by either
    run is used by the other, and keyed by credential so both share one rate budget."""
    settings = authorized_settings(
        base_url,
        access_token,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        token_cache=token_cache,
        timeout=UPLOAD_TIMEOUT_SECONDS,
    )
    return ApiClient((registry or CredentialRegistry()).get(settings))
