"""One shared Credential (and so one rate budget) per API, base URL and credential."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from sources.http.credential import Credential
from sources.http.settings import ApiSettings

CredentialKey = tuple[str, str, str]


def credential_key(settings: ApiSettings) -> CredentialKey:
    """Keys by a digest of the credential, so the key can be logged without leaking it."""
    base_url = settings.base_url.rstrip("/")
    return (settings.api, base_url, settings.credential_fingerprint())


class Credentials(Protocol):
    """Where a source gets the shared state of the credentials it calls with."""

    def get(self, settings: ApiSettings) -> Credential: ...


class CredentialRegistry:
    """Hands every resource, thread and loop using one credential the same `Credential`.

    The first `get()` for a key fixes that credential's settings; later calls with the same key
    get the existing one whatever their rate or timeouts say.
    """

    def __init__(self, session_factory: Callable[[ApiSettings], Any] | None = None) -> None:
        self._session_factory = session_factory
        self._credentials: dict[CredentialKey, Credential] = {}
        self._lock = threading.Lock()

    def get(self, settings: ApiSettings) -> Credential:
        key = credential_key(settings)
        with self._lock:
            credential = self._credentials.get(key)
            if credential is None:
                credential = Credential(settings, session_factory=self._session_factory)
                self._credentials[key] = credential
            return credential

    def credentials(self) -> list[Credential]:
        with self._lock:
            return list(self._credentials.values())

    def stats(self) -> list[dict[str, Any]]:
        """Each credential's counters, for the run summary."""
        return [credential.stats.as_dict() for credential in self.credentials()]


class UsedCredentials:
    """A registry as one caller sees it: the same shared credentials, plus which it used."""

    def __init__(self, shared: Credentials) -> None:
        self.shared = shared
        self.used: list[Credential] = []

    def get(self, settings: ApiSettings) -> Credential:
        credential = self.shared.get(settings)
        if credential not in self.used:
            self.used.append(credential)
        return credential
