"""Where write-back finds NationBuilder: the nightly source's dlt settings and secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dlt

from pipelines.accounts import missing_settings
from sources.http import ApiClient
from sources.nationbuilder import SPEC as NATIONBUILDER
from sources.nationbuilder.auth import DEFAULT_TOKEN_CACHE
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
