"""Shared helpers for the transform tests: toy projects, raw rows, simulator loads, mart figures."""

from __future__ import annotations

import json
import os
import textwrap
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from simulator.server import RunningSimulator
from warehouse.filehold import hold_file
from warehouse.models import TRANSFORMS_DIR
from warehouse.raw import load_declarations

# ---- toy projects for the runner ------------------------------------------------------------


def write_model(root: Path, layer: str, name: str, sql: str, checks: str = "") -> Path:
    """A model file; `checks` is the TOML of its `[checks]` block, written behind `-- `."""
    header = ""
    if checks:
        lines = textwrap.dedent(checks).strip().splitlines()
        header = "\n".join(f"-- {line}".rstrip() for line in ["[checks]", *lines]) + "\n\n"
    path = root / layer / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + textwrap.dedent(sql).strip() + "\n", encoding="utf-8")
    return path


def write_sources(root: Path, schema: str, tables: Mapping[str, Mapping[str, str]]) -> None:
    """A `_<schema>__sources.toml` declaring raw tables and their column types."""
    lines = [f'schema = "{schema}"']
    for table, columns in tables.items():
        lines.append(f"\n[tables.{table}]")
        lines += [f'{column} = "{kind}"' for column, kind in columns.items()]
    folder = root / "staging"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"_{schema}__sources.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def rows_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)


def tables_in(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    found = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [schema],
    ).fetchall()
    return [name for (name,) in found]


def built_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every model a build made: the marts in `analytics`, the rest in `analytics_internal`."""
    return sorted(tables_in(con, "analytics") + tables_in(con, "analytics_internal"))


def schemas(con: duckdb.DuckDBPyConnection) -> set[str]:
    found = con.execute("select schema_name from information_schema.schemata").fetchall()
    return {name for (name,) in found}


# ---- raw rows for the real models ------------------------------------------------------------


def insert_raw(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, rows: list[dict[str, Any]]
) -> None:
    """Create (if needed) a raw table with just the columns the rows use, typed as declared.

    Columns the rows leave out do not exist, as when a source never sent them: the runner's
    stand-ins fill them with nulls, so tests write only what they are about.
    """
    declared = dict(load_declarations(TRANSFORMS_DIR)[(schema, table)].columns)
    columns = list(dict.fromkeys(column for row in rows for column in row))
    con.execute(f"create schema if not exists {schema}")
    body = ", ".join(f"{column} {declared[column]}" for column in columns)
    con.execute(f"create table if not exists {schema}.{table} ({body})")
    marks = ", ".join("?" for _ in columns)
    values = [
        [json.dumps(row[c]) if declared[c] == "json" else row.get(c) for c in columns]
        for row in rows
    ]
    con.executemany(f"insert into {schema}.{table} ({', '.join(columns)}) values ({marks})", values)


# ---- the simulator ---------------------------------------------------------------------------


def sim_get(sim: RunningSimulator, path: str) -> Any:
    with urllib.request.urlopen(sim.url + path, timeout=60) as reply:
        return json.load(reply)


def sim_post(sim: RunningSimulator, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        sim.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.load(reply)


@contextmanager
def source_env(sim: RunningSimulator, token_cache: Path) -> Iterator[None]:
    """Point both sources at the simulator for the block, as a user's environment would."""
    values = {
        "SOURCES__NATIONBUILDER__BASE_URL": sim.nationbuilder_url,
        "SOURCES__NATIONBUILDER__ACCESS_TOKEN": sim.config.nb_token,
        "SOURCES__NATIONBUILDER__RATE_PER_SECOND": "500",
        "SOURCES__NATIONBUILDER__TOKEN_CACHE": str(token_cache),
        "SOURCES__ACTION_NETWORK__BASE_URL": sim.action_network_url,
        "SOURCES__ACTION_NETWORK__API_KEY": sim.config.an_keys[0],
        "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "500",
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def extract(sim: RunningSimulator, warehouse: Path, sources: list[str]) -> None:
    """Run the real sources against the simulator into `warehouse`; fail on any source error."""
    from pipelines.extract import run_sources

    with source_env(sim, warehouse.parent / "nb_tokens.json"), hold_file(warehouse, 0):
        runs = run_sources(sources, warehouse)
    failed = [f"{run.source}: {run.error}" for run in runs if not run.ok]
    assert not failed, f"extract failed: {failed}"


def mart_figures(warehouse: Path) -> dict[str, Any]:
    """The marts' answers to the questions `/_sim/truth["analytics"]` answers."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return figures_of(con)


def figures_of(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """`mart_figures` on an open connection (the reliability tests hold one already)."""

    def one(sql: str) -> Any:
        row = con.execute(sql).fetchone()
        return row[0] if row else None

    def by(sql: str) -> dict[str, int]:
        return {key: int(value) for key, value in con.execute(sql).fetchall()}

    return {
        "people_total": one("select count(*) from analytics.people"),
        "people_in_both": one(
            "select count(*) from analytics.people "
            "where is_in_nationbuilder and is_in_action_network"
        ),
        "donations_count": by("select source, count(*) from analytics.donations group by 1"),
        "donations_cents": by(
            "select source, sum(amount_cents) from analytics.donations group by 1"
        ),
        "actions": by("select action_type, count(*) from analytics.actions group by 1"),
        "person_tags": by("select source, count(*) from analytics.person_tags group by 1"),
        "tagged_people": one("select count(distinct person_id) from analytics.person_tags"),
        "recurring": {
            "donations": one("select count(*) from analytics.donations where is_recurring"),
            "series_by_status": {
                "active": 0,
                "lapsed": 0,
                "unknown_period": 0,
                **by("select status, count(*) from analytics.recurring_donors group by 1"),
            },
            "monthly_donors": one(
                "select count(distinct person_id) from analytics.recurring_donors where is_monthly"
            ),
            "lapsed_monthly_donors": one(
                "select count(distinct person_id) from analytics.recurring_donors "
                "where is_monthly and is_lapsed"
            ),
        },
        "contactable": dict(
            zip(
                CHANNELS,
                con.execute(
                    "select count(*) filter (where can_email), count(*) filter (where can_text),"
                    " count(*) filter (where can_call) from analytics.contactability"
                ).fetchone()
                or (),
                strict=True,
            )
        ),
    }


CHANNELS = ("email", "text", "call")
CONTACT_COLUMNS = tuple(
    f"{prefix}{channel}{suffix}"
    for channel in CHANNELS
    for prefix, suffix in (("can_", ""), ("", "_blocked_reason"), ("", "_blocked_by"))
)


def contactability_by_person(
    con: duckdb.DuckDBPyConnection,
) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """`analytics.contactability` keyed by each person's source records, as the truth keys it."""
    rows = con.execute(
        f"select records, {', '.join(CONTACT_COLUMNS)} from analytics.contactability "
        "join (select person_id, string_agg(record_key, ' ' order by record_key) as records "
        "from analytics_internal.int_people__matched_across_sources group by 1) using (person_id)"
    ).fetchall()
    return {tuple(records.split(" ")): tuple(values) for records, *values in rows}


def expected_contactability(truth: dict[str, Any]) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """`/_sim/truth`'s per-person contactability in `contactability_by_person`'s shape."""
    return {
        tuple(person["records"]): tuple(person[column] for column in CONTACT_COLUMNS)
        for person in truth["analytics"]["contactability"]
    }


def expected_figures(truth: dict[str, Any]) -> dict[str, Any]:
    """Truth in the marts' shape: a source with no donations has no row, so no zero entries."""
    analytics = truth["analytics"]
    return {
        "people_total": analytics["people_total"],
        "people_in_both": analytics["people_in_both"],
        "donations_count": {k: v for k, v in analytics["donations_count"].items() if v},
        "donations_cents": {k: v for k, v in analytics["donations_cents"].items() if v},
        "actions": {k: v for k, v in analytics["actions"].items() if v},
        "person_tags": {k: v for k, v in analytics["person_tags"].items() if v},
        "tagged_people": analytics["tagged_people"],
        "recurring": analytics["recurring"],
        "contactable": analytics["contactable"],
    }
