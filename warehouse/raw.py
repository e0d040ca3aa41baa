"""The raw tables staging reads, as each source's `_<source>__sources.toml` declares them.

A warehouse may lack a declared table (the source was never loaded) or a column (the API never
sent it, or the source does not load it yet). The runner then points staging at a stand-in in
the scratch schema: an empty table, or a view adding the missing columns as typed nulls, so
every model builds and a source simply contributes no rows. dlt's raw schemas are never touched.

A source with several accounts has one raw schema per account (`nationbuilder` for the default
account, `nationbuilder_account_north`, ...): staging then reads a view in the scratch schema that
unions the account schemas' tables, each row with its `account`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from warehouse.checks import quote
from warehouse.destination import Connection
from warehouse.models import ModelError


@dataclass(frozen=True)
class RawTable:
    """A table a source loads, with the columns (and DuckDB types) the transforms rely on."""

    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StandIn:
    """What the build used in place of (part of) a raw table, for the run summary."""

    schema: str
    table: str
    missing_columns: tuple[str, ...]  # empty: the whole table was missing
    relation: str
    accounts: tuple[str, ...] = ()  # set when the view unions several accounts' tables

    def __str__(self) -> str:
        if self.accounts:
            missing = f", missing {', '.join(self.missing_columns)}" if self.missing_columns else ""
            return f"{self.schema}.{self.table} (accounts {', '.join(self.accounts)}{missing})"
        if not self.missing_columns:
            return f"{self.schema}.{self.table} (not loaded: empty stand-in)"
        return f"{self.schema}.{self.table} (missing {', '.join(self.missing_columns)}: nulls)"


def load_declarations(root: Path) -> dict[tuple[str, str], RawTable]:
    """Every `_*__sources.toml` under `root`: `schema = "..."` and `[tables.<name>]` columns."""
    declared: dict[tuple[str, str], RawTable] = {}
    for path in sorted(root.rglob("_*__sources.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"{path.relative_to(root)}: {exc}") from None
        schema = data.get("schema")
        tables = data.get("tables")
        if not isinstance(schema, str) or not isinstance(tables, dict):
            raise ModelError(f"{path.relative_to(root)}: needs `schema` and [tables.<name>]")
        for name, columns in tables.items():
            declared[(schema, name)] = RawTable(
                schema, name, tuple((c, str(t)) for c, t in columns.items())
            )
    return declared


def existing_columns(con: Connection, schemas: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """Columns of every table or view in the given schemas of the current database."""
    wanted = sorted(set(schemas))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = con.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_catalog = current_database() and table_schema in ({marks})",
        wanted,
    )
    found: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        found.setdefault((schema, table), set()).add(column)
    return found


ACCOUNT_INFIX = "_account_"  # as pipelines.accounts names the datasets
DEFAULT_ACCOUNT = "default"


def account_schemas(con: Connection, schemas: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """For each source schema, its account schemas and account names, default account first."""
    found = {
        name
        for (name,) in con.query(
            "select schema_name from information_schema.schemata "
            "where catalog_name = current_database()"
        )
    }
    accounts: dict[str, list[tuple[str, str]]] = {}
    for schema in schemas:
        prefix = schema + ACCOUNT_INFIX
        named = sorted(
            n
            for n in found
            if n.startswith(prefix) and len(n) > len(prefix) and not n.endswith("_staging")
        )
        accounts[schema] = [(schema, DEFAULT_ACCOUNT)] + [(n, n[len(prefix) :]) for n in named]
    return accounts


def _account_union(
    table: RawTable, parts: list[tuple[str, str, set[str]]]
) -> tuple[str, tuple[str, ...]]:
    """A select unioning one raw table across account schemas, in the declared columns (typed
    nulls where an account lacks one) with `account` set from the schema the row came from."""
    selects = []
    missing: set[str] = set()
    for schema, account, columns in parts:
        items = []
        for column, kind in table.columns:
            if column == "account":
                items.append(f"cast('{account}' as varchar) as {quote(column)}")
            elif column in columns:
                items.append(f"cast({quote(column)} as {kind}) as {quote(column)}")
            else:
                items.append(f"cast(null as {kind}) as {quote(column)}")
                missing.add(column)
        selects.append(f"select {', '.join(items)} from {quote(schema)}.{quote(table.name)}")
    return "\nunion all\n".join(selects), tuple(c for c, _ in table.columns if c in missing)


def prepare_stand_ins(
    con: Connection,
    used: Iterable[tuple[str, str]],
    declared: Mapping[tuple[str, str], RawTable],
    scratch: str,
) -> list[StandIn]:
    """Create stand-ins in `scratch` for the used raw tables (or columns) the warehouse lacks."""
    used = sorted(set(used))
    accounts = account_schemas(con, {schema for schema, _ in used})
    present = existing_columns(con, {s for pairs in accounts.values() for s, _ in pairs})
    stand_ins: list[StandIn] = []
    for schema, name in used:
        table = declared[(schema, name)]
        relation = f"{quote(scratch)}.{quote(f'raw__{schema}__{name}')}"
        parts = [
            (s, account, present[(s, name)])
            for s, account in accounts[schema]
            if (s, name) in present
        ]
        if any(account != DEFAULT_ACCOUNT for _, account, _ in parts):
            body, missing_columns = _account_union(table, parts)
            con.run(f"create view {relation} as {body}")
            names = tuple(account for _, account, _ in parts)
            stand_ins.append(StandIn(schema, name, missing_columns, relation, names))
            continue
        columns = present.get((schema, name))
        if columns is None:
            body = ", ".join(f"{quote(c)} {t}" for c, t in table.columns)
            con.run(f"create table {relation} ({body})")
            stand_ins.append(StandIn(schema, name, (), relation))
            continue
        missing = [(c, t) for c, t in table.columns if c not in columns]
        if missing:
            nulls = ", ".join(f"cast(null as {t}) as {quote(c)}" for c, t in missing)
            con.run(
                f"create view {relation} as select *, {nulls} from {quote(schema)}.{quote(name)}"
            )
            stand_ins.append(StandIn(schema, name, tuple(c for c, _ in missing), relation))
    return stand_ins
