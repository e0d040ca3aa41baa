"""One shared ApiClient (and so one rate budget) per API, base URL and credential."""

from __future__ import annotations

import threading
from typing import Any

from sources.http.client import ApiClient, SessionFactory
from sources.http.settings import ApiSettings

ClientKey = tuple[str, str, str]


def client_key(settings: ApiSettings) -> ClientKey:
    """Keys by a digest of the credential, so the key can be logged without leaking it."""
    base_url = settings.base_url.rstrip("/")
    return (settings.api, base_url, settings.credential_fingerprint())


class ClientRegistry:
    """Hands every resource of one credential the same client, so they share one TokenBucket.

    The first `get()` for a key fixes that client's settings; later calls with the same key get
    the existing client whatever their rate or timeouts say.
    """

    def __init__(self, session_factory: SessionFactory | None = None) -> None:
        self._session_factory = session_factory
        self._clients: dict[ClientKey, ApiClient] = {}
        # dlt may build resources from several threads.
        self._lock = threading.Lock()

    def get(self, settings: ApiSettings) -> ApiClient:
        key = client_key(settings)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = ApiClient(settings, session_factory=self._session_factory)
                self._clients[key] = client
            return client

    def clients(self) -> list[ApiClient]:
        with self._lock:
            return list(self._clients.values())

    def stats(self) -> list[dict[str, Any]]:
        """Each client's counters, for the run summary."""
        return [client.stats.as_dict() for client in self.clients()]

    async def close_all(self) -> None:
        """Closes every session; the clients stay usable and reopen a session when asked."""
        for client in self.clients():
            await client.close()
