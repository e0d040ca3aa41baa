"""The accounts of each source: the default one and any listed under `sources.<source>.accounts`.

A federation has several nations and groups, each with its own credential (and so its own rate
limit). Each account is extracted by its own dlt pipeline into its own dataset, so its cursors,
its full refresh and its failures stay its own; the transforms union the datasets back.

    [sources.nationbuilder.accounts.north]          # or SOURCES__NATIONBUILDER__ACCOUNTS=north,
    base_url = "https://north.nationbuilder.com"    # + SOURCES__NATIONBUILDER__ACCOUNTS__NORTH__...
    access_token = "..."
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import dlt

DEFAULT = "default"
# dlt folds `__` in dataset names to `_`, and keeps merge staging in `<dataset>_staging`.
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
DATASET_INFIX = "_account_"
# What an account may set; anything it leaves out comes from `sources.<source>.*` as usual.
SETTINGS: dict[str, dict[str, type]] = {
    "nationbuilder": {
        "base_url": str,
        "access_token": str,
        "client_id": str,
        "client_secret": str,
        "refresh_token": str,
        "lists_api": str,
        "rate_per_second": float,
        "burst": int,
        "concurrency": int,
        "overlap_seconds": int,
        "token_cache": str,
    },
    "action_network": {
        "base_url": str,
        "api_key": str,
        "rate_per_second": float,
        "concurrency": int,
        "overlap_seconds": int,
    },
}
# Without these an account would silently borrow the default account's URL or credential.
REQUIRED = {"nationbuilder": ("base_url", "access_token"), "action_network": ("api_key",)}


class AccountError(ValueError):
    """An account listed in the configuration that cannot run; the message names the setting."""


@dataclass(frozen=True)
class Account:
    """One nation or group: where its rows land and the source arguments it overrides."""

    source: str
    name: str = DEFAULT
    settings: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT

    @property
    def dataset(self) -> str:
        """`nationbuilder` for the default account (as before accounts existed), else
        `nationbuilder_account_north`: the transforms find a source's accounts by this prefix."""
        return self.source if self.is_default else f"{self.source}{DATASET_INFIX}{self.name}"

    @property
    def pipeline_name(self) -> str:
        return f"civic_{self.dataset}"

    @property
    def label(self) -> str:
        """How the run summary names it: the source alone for the default account."""
        return self.source if self.is_default else f"{self.source}:{self.name}"


def account_names(source: str) -> list[str]:
    """Names under `sources.<source>.accounts`: TOML tables, a list, or `north,south` text."""
    names: list[str] = []
    for accessor in (dlt.config, dlt.secrets):
        value: Any = accessor.get(f"sources.{source}.accounts")
        if isinstance(value, str):
            names.extend(part.strip() for part in value.split(","))
        elif isinstance(value, dict):
            names.extend(value)
        elif isinstance(value, list | tuple):
            names.extend(str(part).strip() for part in value)
    names = [name.lower() for name in dict.fromkeys(names) if name]
    for name in names:
        if name == DEFAULT or not ACCOUNT_NAME.match(name) or name.endswith("_staging"):
            raise AccountError(
                f"{source} account name {name!r}: use lowercase letters, digits and _ "
                f"(and not {DEFAULT!r}, the name of the account configured without a name)"
            )
    return names


def _lookup(key: str, kind: type) -> Any:
    for accessor in (dlt.secrets, dlt.config):
        value: Any = accessor.get(key, kind)
        if value is not None:
            return value
    return None


def named_account(source: str, name: str) -> Account:
    """A listed account with its own settings; fails when a required one is missing."""
    prefix = f"sources.{source}.accounts.{name}"
    settings = {
        key: value
        for key, kind in SETTINGS[source].items()
        if (value := _lookup(f"{prefix}.{key}", kind)) is not None
    }
    missing = [key for key in REQUIRED[source] if not settings.get(key)]
    if missing:
        env = [f"{prefix}.{key}".upper().replace(".", "__") for key in missing]
        raise AccountError(f"{source} account {name!r} is not configured: set {' and '.join(env)}")
    return Account(source, name, settings)


def source_accounts(source: str, *, default_configured: bool) -> list[Account]:
    """Every account of `source` to extract: the default one (when configured), then the named."""
    accounts = [Account(source)] if default_configured else []
    accounts.extend(named_account(source, name) for name in account_names(source))
    return accounts
