"""The ApiClient that write-back uses for Action Network: the source's presets and rate."""

from __future__ import annotations

from sources.action_network.client import action_network_settings
from sources.http import ApiClient, CredentialRegistry, Credentials


def write_client(
    base_url: str, api_key: str, *, rate: float, registry: Credentials | None = None
) -> ApiClient:
    """A client with the extract's settings (key header, error parsing, hint) and its rate, so
    write-back spends the key's budget exactly as the nightly extract does (4 requests/s)."""
    settings = action_network_settings(base_url, api_key, rate=rate)
    return ApiClient((registry or CredentialRegistry()).get(settings))
