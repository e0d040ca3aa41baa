"""Which sources the user configured (through dlt: .dlt/*.toml or SOURCES__... variables)."""

from __future__ import annotations

from urllib.parse import urlparse

import dlt

from pipelines.accounts import Account, AccountError, account_names, source_accounts
from pipelines.extract import SOURCES

REQUIRED = {
    "nationbuilder": {
        "sources.nationbuilder.base_url": "SOURCES__NATIONBUILDER__BASE_URL",
        "sources.nationbuilder.access_token": "SOURCES__NATIONBUILDER__ACCESS_TOKEN",
    },
    "action_network": {"sources.action_network.api_key": "SOURCES__ACTION_NETWORK__API_KEY"},
}


class ConfigError(Exception):
    """The configuration cannot run what was asked; the message names the setting to fix."""


def missing_settings(source: str) -> list[str]:
    missing: list[str] = []
    for key, env_name in REQUIRED[source].items():
        if not (dlt.secrets.get(key) if "token" in key or "key" in key else dlt.config.get(key)):
            missing.append(env_name)
    return missing


def choose_sources(requested: list[str] | None) -> tuple[list[str], list[str]]:
    """The sources to run and notes on the ones skipped; fails when nothing can run.

    Asked-for sources must be configured; without a request, every configured source runs.
    """
    unknown = [name for name in requested or [] if name not in SOURCES]
    if unknown:
        raise ConfigError(f"unknown source {unknown[0]!r}; choose from {', '.join(SOURCES)}")
    notes: list[str] = []
    chosen: list[str] = []
    for source in requested or list(SOURCES):
        missing = missing_settings(source)
        try:
            named = account_names(source)
        except AccountError as exc:
            raise ConfigError(str(exc)) from None
        if not missing or named:
            chosen.append(source)
        elif requested:
            raise ConfigError(f"{source} is not configured: set {' and '.join(missing)}")
        else:
            notes.append(f"{source}: not configured (set {' and '.join(missing)}), skipped")
    if not chosen:
        raise ConfigError(
            "no source is configured: set SOURCES__NATIONBUILDER__BASE_URL and "
            "SOURCES__NATIONBUILDER__ACCESS_TOKEN and/or SOURCES__ACTION_NETWORK__API_KEY "
            "(see .dlt/secrets.toml.example)"
        )
    return chosen, notes


def plan_accounts(sources: list[str]) -> list[Account]:
    """Each chosen source's accounts: its default one, then the listed ones. The default one is
    left out only when listed accounts stand in for it (its own settings are not there)."""
    try:
        accounts = [
            account
            for source in sources
            for account in source_accounts(
                source,
                default_configured=not missing_settings(source) or not account_names(source),
            )
        ]
    except AccountError as exc:
        raise ConfigError(str(exc)) from None
    for account in accounts:
        check_base_url(account)
    return accounts


def check_base_url(account: Account) -> None:
    """A base URL that is not a web address is a configuration error, named before any request."""
    url = account.settings.get("base_url") or dlt.config.get(f"sources.{account.source}.base_url")
    if url is None:
        return  # the source's own default (Action Network's public API)
    parsed = urlparse(str(url))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        where = "SOURCES__" + account.source.upper() + "__BASE_URL"
        if not account.is_default:
            where = f"the base_url of account {account.name!r}"
        raise ConfigError(f"{where} must be an http(s) address, got {url!r}")
