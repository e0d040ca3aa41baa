"""The accounts of each source: the default one and any listed under `sources.<source>.accounts`.

A federation has several nations and groups, each with its own credential (and so its own rate
limit). Each account is extracted by its own dlt pipeline into its own dataset, so its cursors,
its full refresh and its failures stay its own; the transforms union the datasets back.

    [sources.nationbuilder.accounts.north]          # or SOURCES__NATIONBUILDER__ACCOUNTS=north,
    base_url = "https://north.nationbuilder.com"    # + SOURCES__NATIONBUILDER__ACCOUNTS__NORTH__...
    access_token = "..."

What an account may set, and what it cannot run without, is its source's spec (sources/spec.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import dlt

from sources.spec import SourceSpec

DEFAULT = "default"
# dlt folds `__` in dataset names to `_`, and keeps merge staging in `<dataset>_staging`.
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
DATASET_INFIX = "_account_"


class AccountError(ValueError):
    """An account listed in the configuration that cannot run; the message names the setting."""


@dataclass(frozen=True)
class Account:
    """One nation or group: where its rows land and the source arguments it overrides."""

    spec: SourceSpec
    name: str = DEFAULT
    settings: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def source(self) -> str:
        return self.spec.name

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

    def env_name(self, setting: str) -> str:
        """Where the user sets one of this account's settings."""
        return self.spec.env_name(setting, None if self.is_default else self.name)

    def value(self, setting: str) -> Any:
        """The account's own value of a setting, else the source's (what the factory gets)."""
        if setting in self.settings:
            return self.settings[setting]
        return lookup(self.spec, setting)


def lookup(spec: SourceSpec, setting: str, account: str | None = None) -> Any:
    """A setting of the source (or of one of its accounts), from secrets or config."""
    described = spec.setting(setting)
    key = spec.key(setting, account)
    accessors = (dlt.secrets, dlt.config) if described.secret else (dlt.config, dlt.secrets)
    for accessor in accessors:
        value: Any = accessor.get(key, described.kind)
        if value is not None and value != "":
            return value
    return None


def account_names(spec: SourceSpec) -> list[str]:
    """Names under `sources.<source>.accounts`: TOML tables, a list, or `north,south` text."""
    names: list[str] = []
    for accessor in (dlt.config, dlt.secrets):
        value: Any = accessor.get(f"sources.{spec.name}.accounts")
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
                f"{spec.name} account name {name!r}: use lowercase letters, digits and _ "
                f"(and not {DEFAULT!r}, the name of the account configured without a name)"
            )
    return names


def missing_settings(spec: SourceSpec, account: str | None = None) -> list[str]:
    """The environment names of the required settings the source (or an account) lacks."""
    return [
        spec.env_name(setting.name, account)
        for setting in spec.required
        if lookup(spec, setting.name, account) is None
    ]


def named_account(spec: SourceSpec, name: str) -> Account:
    """A listed account with its own settings; fails when a required one is missing.

    Without its own base URL or credential an account would silently borrow the default one's.
    """
    missing = missing_settings(spec, name)
    if missing:
        wanted = " and ".join(missing)
        raise AccountError(f"{spec.name} account {name!r} is not configured: set {wanted}")
    settings = {
        setting.name: value
        for setting in spec.settings
        if (value := lookup(spec, setting.name, name)) is not None
    }
    return Account(spec, name, settings)


def source_accounts(spec: SourceSpec, *, default_configured: bool) -> list[Account]:
    """Every account of `spec` to extract: the default one (when configured), then the named."""
    accounts = [Account(spec)] if default_configured else []
    accounts.extend(named_account(spec, name) for name in account_names(spec))
    return accounts
