"""A first NationBuilder run against the simulator lands exactly the truth, with typed columns.

One run (3k signups, 1k donations, 30 lists) shared by the module; the tests only read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nb_helpers import (
    FAST,
    SCHEMA,
    RequestLog,
    column_types,
    configure,
    id_listing_cost,
    mismatches,
    nb_get,
    nb_requests,
    query,
    resource_cursors,
    run_nb,
    simulator,
    truth,
)

from pipelines.extract import SourceRun
from simulator.server import RunningSimulator
from sources.nationbuilder import schemas
from sources.nationbuilder.settings import COLLECTIONS
from sources.tables import CONVERTERS, named_type
from tests.support.simulator import reset_stats

DECLARED = {spec.name: spec.columns for spec in COLLECTIONS} | {"lists": schemas.LISTS}
# undeclared attributes by the type their name promises (sources.tables.named_type)
DUCKDB_TYPES = {
    "int": "BIGINT",
    "ts": "TIMESTAMP WITH TIME ZONE",
    "bool": "BOOLEAN",
    "str": "VARCHAR",
}


@dataclass
class FirstLoad:
    sim: RunningSimulator
    warehouse: Path
    truth: dict[str, Any]
    run: SourceRun
    requests: int
    log: RequestLog


@pytest.fixture(scope="module")
def first_load(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstLoad]:
    folder = tmp_path_factory.mktemp("nb_first_load")
    with simulator(**FAST) as sim, pytest.MonkeyPatch.context() as env:
        configure(env, sim, folder)
        warehouse = folder / "w.duckdb"
        log = RequestLog()
        reset_stats(sim)
        run = run_nb(warehouse, registry=log.registry())
        yield FirstLoad(sim, warehouse, truth(sim), run, nb_requests(sim), log)


def test_tables_equal_truth(first_load: FirstLoad) -> None:
    assert mismatches(first_load.warehouse, first_load.truth) == {}


def test_every_collection_and_list_pairs_loaded_in_full(first_load: FirstLoad) -> None:
    expected = first_load.truth
    assert len(expected["signups"]["ids"]) == FAST["nb_signups"]
    assert len(expected["donations"]["ids"]) == FAST["nb_donations"]
    assert len(expected["lists"]["ids"]) == FAST["nb_lists"]
    (pairs,) = query(first_load.warehouse, f"select count(*) from {SCHEMA}.list_signups")[0]
    assert pairs == expected["list_signups"]["count"]
    # Nothing is marked deleted after a first run, and no deletion table exists yet.
    (marked,) = query(
        first_load.warehouse,
        f"select count(*) from {SCHEMA}.signups where deleted_at is not null",
    )[0]
    assert marked == 0
    assert first_load.run.deleted == 0


def test_first_run_reads_each_page_once(first_load: FirstLoad) -> None:
    """Pages of 100 plus the empty page ending each collection: nothing is read twice."""
    log = first_load.log
    for spec in COLLECTIONS:
        count = first_load.truth[spec.name]["count"]
        assert log.full_reads(spec.name) == id_listing_cost(count) + 1, spec.name
        assert log.id_reads(spec.name) == 0, f"{spec.name}: no sweep on a first run"
    assert len(log.urls) == first_load.requests


def test_column_types(first_load: FirstLoad) -> None:
    expected = {
        "signups": {
            "id": "BIGINT",
            "recruiter_id": "BIGINT",
            "support_level": "BIGINT",
            "email_opt_in": "BOOLEAN",
            "is_volunteer": "BOOLEAN",
            "created_at": "TIMESTAMP WITH TIME ZONE",
            "updated_at": "TIMESTAMP WITH TIME ZONE",
            "born_at": "DATE",
            "custom_values": "JSON",
            "note": "VARCHAR",
            "deleted_at": "TIMESTAMP WITH TIME ZONE",
        },
        "donations": {
            "id": "BIGINT",
            "signup_id": "BIGINT",
            "amount_in_cents": "BIGINT",
            "amount": "VARCHAR",
            "is_private": "BOOLEAN",
            "succeeded_at": "TIMESTAMP WITH TIME ZONE",
            "custom_values": "JSON",
        },
        "event_rsvps": {"signup_id": "BIGINT", "event_id": "BIGINT", "attendee": "BOOLEAN"},
        "lists": {"id": "BIGINT", "author_id": "BIGINT", "signups_count": "BIGINT"},
        "list_signups": {
            "list_id": "BIGINT",
            "signup_id": "BIGINT",
            "deleted_at": "TIMESTAMP WITH TIME ZONE",
        },
        "memberships": {"started_at": "TIMESTAMP WITH TIME ZONE"},
        "events": {"start_at": "TIMESTAMP WITH TIME ZONE", "duration": "BIGINT"},
    }
    for table, columns in expected.items():
        actual = column_types(first_load.warehouse, table)
        assert {name: actual.get(name) for name in columns} == columns, table


def test_declared_columns_have_declared_types(first_load: FirstLoad) -> None:
    sql_types = {
        "id": "BIGINT",
        "int": "BIGINT",
        "str": "VARCHAR",
        "bool": "BOOLEAN",
        "ts": "TIMESTAMP WITH TIME ZONE",
        "date": "DATE",
        "json": "JSON",
    }
    for table, columns in DECLARED.items():
        actual = column_types(first_load.warehouse, table)
        wrong = {
            name: (actual.get(name), sql_types[code])
            for name, code in columns.items()
            if actual.get(name) != sql_types[code]
        }
        assert wrong == {}, table


def test_updated_at_is_the_nation_local_time_in_utc(first_load: FirstLoad) -> None:
    page = nb_get(first_load.sim, "/api/v2/signups", {"page[size]": 20, "sort": "id"})
    checked = 0
    for record in page["data"]:
        rendered = record["attributes"]["updated_at"]
        assert rendered.endswith(("-07:00", "-08:00")), rendered  # NB prints local time
        local = datetime.fromisoformat(rendered)
        (stored,) = query(
            first_load.warehouse,
            f"select updated_at from {SCHEMA}.signups where id = ?",
            [int(record["id"])],
        )[0]
        assert stored == local.astimezone(UTC)
        assert stored.utcoffset() is not None
        assert stored.astimezone(UTC).replace(tzinfo=None) == (
            local.replace(tzinfo=None) - local.utcoffset()  # type: ignore[operator]
        )
        checked += 1
    assert checked == 20


def _expected_value(sql_type: str, value: Any) -> Any:
    """What a value the API sent must read back as, for a column of `sql_type`."""
    if value is None:
        return None
    if sql_type == "BIGINT":
        return int(value)
    if sql_type == "TIMESTAMP WITH TIME ZONE":
        return datetime.fromisoformat(value).astimezone(UTC)
    if sql_type == "DATE":
        return date.fromisoformat(value)
    if sql_type == "JSON":
        return value
    if sql_type == "VARCHAR":
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return str(value)
    return value


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record["attributes"])
    for name, relation in (record.get("relationships") or {}).items():
        data = relation.get("data") if isinstance(relation, dict) else None
        if isinstance(data, dict):
            row.setdefault(f"{name}_id", data["id"])
    row["id"] = record["id"]
    return row


@pytest.mark.parametrize("collection", sorted(DECLARED))
def test_values_read_back_as_the_api_sent_them(first_load: FirstLoad, collection: str) -> None:
    """Every attribute of a page of records, typed: ids, cents, flags, times, dates, JSON."""
    page = nb_get(first_load.sim, f"/api/v2/{collection}", {"page[size]": 50, "sort": "id"})
    types = column_types(first_load.warehouse, collection)
    with duckdb.connect(str(first_load.warehouse)) as con:
        for record in page["data"]:
            row = _flat(record)
            names = sorted(row)
            missing = [name for name in names if name not in types]
            assert missing == [], f"{collection}: attributes without a column: {missing}"
            select = ", ".join(f'"{name}"' for name in names)
            stored = con.execute(
                f"select {select} from {SCHEMA}.{collection} where id = ?", [int(row["id"])]
            ).fetchone()
            assert stored is not None, (collection, row["id"])
            for name, value in zip(names, stored, strict=True):
                want = _expected_value(types[name], row[name])
                got = json.loads(value) if types[name] == "JSON" and value is not None else value
                assert got == want, (collection, row["id"], name, value, row[name])


def test_rsvp_signup_comes_from_the_relationship(first_load: FirstLoad) -> None:
    page = nb_get(first_load.sim, "/api/v2/event_rsvps", {"page[size]": 10})
    record = page["data"][0]
    assert "signup_id" not in record["attributes"]  # a relationship only, as the spec has it
    signup = int(record["relationships"]["signup"]["data"]["id"])
    (stored,) = query(
        first_load.warehouse,
        f"select signup_id from {SCHEMA}.event_rsvps where id = ?",
        [int(record["id"])],
    )[0]
    assert stored == signup
    (nulls,) = query(
        first_load.warehouse, f"select count(*) from {SCHEMA}.event_rsvps where signup_id is null"
    )[0]
    assert nulls == 0


def test_undeclared_attributes_are_kept_typed_by_their_names(first_load: FirstLoad) -> None:
    """Whatever the API sends beyond the declared schema lands as a column, nulls too, typed as
    its name promises (`*_count` integer, `*_at` timestamp, ...; text otherwise)."""
    page = nb_get(first_load.sim, "/api/v2/signups", {"page[size]": 5, "sort": "id"})
    sent = {key for record in page["data"] for key in record["attributes"]}
    undeclared = sorted(sent - set(schemas.SIGNUPS))
    assert undeclared, "the simulator renders attributes the schema does not declare"
    types = column_types(first_load.warehouse, "signups")
    assert {name: types.get(name) for name in undeclared} == {
        name: DUCKDB_TYPES[named_type(name)] for name in undeclared
    }
    record = page["data"][0]
    select = ", ".join(f'"{name}"' for name in undeclared)
    stored = query(
        first_load.warehouse,
        f"select {select} from {SCHEMA}.signups where id = ?",
        [int(record["id"])],
    )[0]
    sent_values = [CONVERTERS[named_type(name)](record["attributes"][name]) for name in undeclared]
    assert list(stored) == sent_values


def test_cursors_saved_at_the_newest_row(first_load: FirstLoad) -> None:
    cursors = resource_cursors(first_load.warehouse)
    for spec in COLLECTIONS:
        if spec.cursor is None:
            assert cursors.get(spec.name) is None, spec.name
            continue
        (newest,) = query(
            first_load.warehouse, f"select max({spec.cursor}) from {SCHEMA}.{spec.name}"
        )[0]
        saved = datetime.fromisoformat(cursors[spec.name])
        assert saved == newest, spec.name
