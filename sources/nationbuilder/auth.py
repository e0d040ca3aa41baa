"""NationBuilder credentials: the access token, and the OAuth refresh that renews an expired one.

Refreshed tokens are kept in a small JSON file outside the warehouse and dlt state (so no
secret lands in either), and are used by the next run while the configured token is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.http import ApiClient, ApiSettings, RefreshHook
from sources.nationbuilder.client import API, error_fields, nationbuilder_settings

DEFAULT_TOKEN_CACHE = Path(".dlt") / "nationbuilder_tokens.json"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class TokenStore:
    """Access and refresh tokens for one nation, remembered across runs in `path`."""

    base_url: str
    access_token: str
    refresh_token: str | None
    path: Path

    def load(self) -> None:
        """Prefer tokens refreshed by an earlier run, unless the user configured a new token."""
        try:
            saved = json.loads(self.path.read_text())[self.base_url]
        except (OSError, ValueError, KeyError, TypeError):
            return
        if saved.get("configured") == _digest(self.access_token):
            self.access_token = saved["access_token"]
            self.refresh_token = saved.get("refresh_token") or self.refresh_token

    def save(self, configured: str) -> None:
        try:
            entries = json.loads(self.path.read_text())
        except (OSError, ValueError):
            entries = {}
        entries[self.base_url] = {
            "configured": _digest(configured),
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(entries))
        os.chmod(self.path, 0o600)


def refresh_hook(
    base_url: str, client_id: str, client_secret: str, store: TokenStore, configured: str
) -> RefreshHook:
    """The OAuth refresh flow (`POST /oauth/token`, grant_type=refresh_token), run at most once."""

    async def refresh() -> Mapping[str, str] | None:
        if not store.refresh_token:
            return None
        oauth = ApiClient(
            ApiSettings(api=API, base_url=base_url, max_attempts=3, error_fields=error_fields)
        )
        try:
            body = await oauth.request_json(
                "POST",
                "/oauth/token",
                json_body={
                    "grant_type": "refresh_token",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "refresh_token": store.refresh_token,
                },
                resource="oauth",
            )
        finally:
            await oauth.close()
        if not isinstance(body, dict) or not body.get("access_token"):
            return None
        store.access_token = body["access_token"]
        store.refresh_token = body.get("refresh_token") or store.refresh_token
        store.save(configured)
        return {"Authorization": f"Bearer {store.access_token}"}

    return refresh


def authorized_settings(
    base_url: str,
    access_token: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    token_cache: Path | None = None,
    **overrides: Any,
) -> ApiSettings:
    """NB client settings on the shared token cache, with the refresh hook when it can refresh.

    The nightly source and write-back both start here, so a token refreshed by either is used
    by the other, and both key the same client (one rate budget per token).
    """
    store = TokenStore(
        base_url.rstrip("/"), access_token, refresh_token, token_cache or DEFAULT_TOKEN_CACHE
    )
    store.load()
    hook = None
    if client_id and client_secret and store.refresh_token:
        hook = refresh_hook(base_url, client_id, client_secret, store, access_token)
    return nationbuilder_settings(base_url, store.access_token, on_unauthorized=hook, **overrides)
