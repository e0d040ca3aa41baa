"""How a source package describes itself, once, for the rest of the project to loop over.

A spec names the source (its config section, dataset and pipeline), its dlt source factory, the
settings an account may give it (with their types, which are secrets, which it cannot run
without), the raw tables it needs to know before it extracts, and which tables other resources
fill. Nothing outside a source package branches on a source's name: it reads these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The resource-state key of a first load read in chunks that still has chunks left: the run
# loop (pipelines/extract.py) loads again while a resource's committed state holds it.
RESUME = "resume"


@dataclass(frozen=True)
class Setting:
    """One argument of a source's factory that configuration may set."""

    name: str
    kind: type = str
    secret: bool = False
    required: bool = False


@dataclass(frozen=True)
class KnownTable:
    """A raw table whose live keys the source needs before extracting (e.g. to find deletions).

    The pipeline reads them from the warehouse and passes them to the factory as `known`.
    """

    name: str
    key: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    factory: Callable[..., Any]
    settings: tuple[Setting, ...]
    # Tables that are filled by other resources: `petitions` comes with the signatures walk.
    table_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    known_tables: tuple[KnownTable, ...] = ()

    @property
    def required(self) -> tuple[Setting, ...]:
        return tuple(setting for setting in self.settings if setting.required)

    def setting(self, name: str) -> Setting:
        return next(setting for setting in self.settings if setting.name == name)

    def key(self, setting: str, account: str | None = None) -> str:
        """The dlt config key: `sources.nationbuilder.access_token`, or an account's."""
        section = f"sources.{self.name}" + (f".accounts.{account}" if account else "")
        return f"{section}.{setting}"

    def env_name(self, setting: str, account: str | None = None) -> str:
        """The environment variable of a setting: `SOURCES__NATIONBUILDER__ACCESS_TOKEN`."""
        return self.key(setting, account).upper().replace(".", "__")

    def resources_for(self, resources: Mapping[str, Any], tables: list[str]) -> list[str]:
        """Resource names that fill the asked-for tables (a table may be asked by resource name
        too); names that fill nothing are left out (the caller reports them)."""
        wanted: list[str] = []
        for table in tables:
            if table in resources:
                wanted.append(table)
            wanted.extend(self.table_aliases.get(table, ()))
        return [name for name in dict.fromkeys(wanted) if name in resources]

    def tables(self, resources: Mapping[str, Any]) -> list[str]:
        """Every table a `--resources` list may name: resources and the tables they also fill."""
        return sorted({*resources, *self.table_aliases})
