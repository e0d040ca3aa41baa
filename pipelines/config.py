"""Which sources the user configured (through dlt: .dlt/*.toml or SOURCES__... variables).

A source is configured when any setting that names its account is set (a required one, a secret,
or its base URL); one that is only partly set
(a nation's URL without its token) is a mistake to report, not a source to skip.
"""

from __future__ import annotations

import inspect
from urllib.parse import urlparse

from pipelines.accounts import (
    Account,
    AccountError,
    account_names,
    lookup,
    missing_settings,
    source_accounts,
)
from sources import specs
from sources.spec import SourceSpec


class ConfigError(Exception):
    """The configuration cannot run what was asked; the message names the setting to fix."""


# Settings that say which account a source reads (not how fast): one of them set means the
# source was meant to run, even where it has a default (Action Network's public base URL).
WHICH_ACCOUNT = ("base_url",)


def _partly_set(spec: SourceSpec) -> bool:
    """Whether the user set anything that names an account of `spec`. A base URL equal to the
    source's own default (Action Network's public API, as the shipped config.toml spells it)
    names no account: a user of only NationBuilder keeps that line and runs NationBuilder."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(spec.factory).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    for setting in spec.settings:
        if not (setting.required or setting.secret or setting.name in WHICH_ACCOUNT):
            continue
        value = lookup(spec, setting.name)
        if value is not None and value != defaults.get(setting.name):
            return True
    return False


def choose_sources(requested: list[str] | None) -> tuple[list[SourceSpec], list[str]]:
    """The sources to run and notes on the ones skipped; fails when nothing can run.

    Asked-for sources must be configured; without a request, every configured source runs, and
    one whose settings are only partly there fails the run (it was meant to run).
    """
    known = {spec.name: spec for spec in specs()}
    unknown = [name for name in requested or [] if name not in known]
    if unknown:
        raise ConfigError(f"unknown source {unknown[0]!r}; choose from {', '.join(known)}")
    notes: list[str] = []
    chosen: list[SourceSpec] = []
    for spec in [known[name] for name in requested] if requested else list(known.values()):
        missing = missing_settings(spec)
        try:
            named = account_names(spec)
        except AccountError as exc:
            raise ConfigError(str(exc)) from None
        if not missing or named:
            chosen.append(spec)
        elif requested or _partly_set(spec):
            raise ConfigError(f"{spec.name} is not configured: set {' and '.join(missing)}")
        else:
            notes.append(f"{spec.name}: not configured (set {' and '.join(missing)}), skipped")
    if not chosen:
        needed = " and/or ".join(" and ".join(missing_settings(spec)) for spec in known.values())
        raise ConfigError(f"no source is configured: set {needed} (see .dlt/secrets.toml.example)")
    return chosen, notes


def plan_accounts(sources: list[SourceSpec]) -> list[Account]:
    """Each chosen source's accounts: its default one, then the listed ones. The default one is
    left out only when listed accounts stand in for it (its own settings are not there)."""
    try:
        accounts = [
            account
            for spec in sources
            for account in source_accounts(
                spec, default_configured=not missing_settings(spec) or not account_names(spec)
            )
        ]
    except AccountError as exc:
        raise ConfigError(str(exc)) from None
    for account in accounts:
        check_base_url(account)
    return accounts


def check_base_url(account: Account) -> None:
    """A base URL that is not a web address is a configuration error, named before any request."""
    url = account.value("base_url")
    if url is None:
        return  # the source's own default (Action Network's public API)
    parsed = urlparse(str(url))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        where = account.env_name("base_url")
        if not account.is_default:
            where = f"the base_url of account {account.name!r}"
        raise ConfigError(f"{where} must be an http(s) address, got {url!r}")


def choose_accounts(sources: list[SourceSpec], requested: list[str]) -> list[Account]:
    """The accounts asked for by name, among the chosen sources' configured accounts.

    A name is an account name (`north`, or `default` for the account configured without a name),
    which picks that account in every chosen source that has it, or a label as the run summary
    prints it (`nationbuilder:north`, `nationbuilder` for its default account), which picks one.
    An unknown name fails before anything runs, listing what is configured.
    """
    configured = plan_accounts(sources)
    chosen: list[Account] = []
    for name in requested:
        wanted = name.strip().lower()
        matches = [
            account
            for account in configured
            if wanted in (account.label, account.name, f"{account.source}:{account.name}")
        ]
        if not matches:
            labels = ", ".join(account.label for account in configured) or "none"
            raise ConfigError(f"unknown account {name!r}; configured accounts: {labels}")
        chosen.extend(account for account in matches if account not in chosen)
    return chosen
