"""Where write-back finds the accounts: the nightly sources' dlt settings and secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dlt

from pipelines.accounts import lookup, missing_settings
from sources.action_network import SPEC as ACTION_NETWORK
from sources.action_network.settings import DEFAULT_BASE_URL, RATE_PER_SECOND
from sources.http import ApiClient
from sources.nationbuilder import SPEC as NATIONBUILDER
from sources.nationbuilder.auth import DEFAULT_TOKEN_CACHE
from writeback.action_network import write_client
from writeback.nationbuilder import push_client
from writeback.segment import WritebackError

SECTION = "sources.nationbuilder"


@dataclass(frozen=True)
class NbConnection:
    """A nation's URL and credentials; tests pass one, the commands read the configuration."""

    base_url: str
    access_token: str = field(repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_cache: Path = DEFAULT_TOKEN_CACHE

    @classmethod
    def from_config(cls) -> NbConnection:
        """SOURCES__NATIONBUILDER__* variables or .dlt/*.toml, as for `civic-etl run`."""
        missing = missing_settings(NATIONBUILDER)
        if missing:
            raise WritebackError(f"NationBuilder is not configured: set {' and '.join(missing)}")
        token_cache: str | None = dlt.config.get(f"{SECTION}.token_cache")
        return cls(
            base_url=str(dlt.config.get(f"{SECTION}.base_url")),
            access_token=str(dlt.secrets.get(f"{SECTION}.access_token")),
            client_id=dlt.secrets.get(f"{SECTION}.client_id"),
            client_secret=dlt.secrets.get(f"{SECTION}.client_secret"),
            refresh_token=dlt.secrets.get(f"{SECTION}.refresh_token"),
            token_cache=Path(token_cache) if token_cache else DEFAULT_TOKEN_CACHE,
        )

    def client(self) -> ApiClient:
        return push_client(
            self.base_url,
            self.access_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            token_cache=self.token_cache,
        )


@dataclass(frozen=True)
class AnConnection:
    """A group's API key, URL and request rate; tests pass one, the commands read the
    configuration. Write-back goes to the default account (`[sources.action_network]`)."""

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    rate_per_second: float = RATE_PER_SECOND

    @classmethod
    def from_config(cls) -> AnConnection:
        """SOURCES__ACTION_NETWORK__* variables or .dlt/*.toml, as for `civic-etl run`: the
        same key, URL and `rate_per_second` (4 by default) as the nightly extract."""
        missing = missing_settings(ACTION_NETWORK)
        if missing:
            raise WritebackError(f"Action Network is not configured: set {' and '.join(missing)}")
        return cls(
            api_key=str(lookup(ACTION_NETWORK, "api_key")),
            base_url=str(lookup(ACTION_NETWORK, "base_url") or DEFAULT_BASE_URL),
            rate_per_second=float(lookup(ACTION_NETWORK, "rate_per_second") or RATE_PER_SECOND),
        )

    def client(self) -> ApiClient:
        return write_client(self.base_url, self.api_key, rate=self.rate_per_second)
