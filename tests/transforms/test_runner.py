"""The transform runner on small made-up projects: order, cycles, checks, atomic publish."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

import warehouse.transform as transform
from tests.transforms.helpers import (
    built_tables,
    rows_of,
    schemas,
    tables_in,
    write_model,
    write_sources,
)
from warehouse.destination import Connection
from warehouse.models import load_models, model_targets, rewrite, table_references
from warehouse.transform import (
    BuildError,
    CycleError,
    ModelError,
    TransformError,
    build,
    build_marts,
    build_order,
    load_project,
)

ITEMS = {"id": "bigint", "name": "varchar", "price_cents": "bigint"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project: staging reads raw.items; marts read staging and each other, out of name order."""
    root = tmp_path / "transforms"
    write_sources(root, "raw", {"items": ITEMS})
    write_model(
        root,
        "staging",
        "stg_raw__items",
        """
        with source as (
            select * from raw.items
        ),

        renamed as (
            select
                id as item_id,
                name as item_name,
                price_cents
            from source
        )

        select * from renamed
        """,
        checks="""
        unique = ["item_id"]
        not_null = ["item_id"]
        """,
    )
    write_model(
        root,
        "marts",
        "z_priced_items",
        "select * from analytics.stg_raw__items where price_cents > 0",
        checks='expect = { "priced" = "price_cents > 0" }',
    )
    write_model(
        root,
        "marts",
        "a_summary",
        """
        with priced as (
            select * from z_priced_items
        )

        select count(*) as items_count, sum(price_cents) as total_cents from priced
        """,
        checks="""
        [checks.row_count]
        "one row" = "1"
        """,
    )
    return root


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("create schema raw")
    connection.execute("create table raw.items (id bigint, name varchar, price_cents bigint)")
    connection.execute(
        "insert into raw.items values (1, 'pin', 150), (2, 'flag', 900), (3, 'free', 0)"
    )
    return connection


# ---- dependencies and order ------------------------------------------------------------------


def test_build_order_follows_the_tables_each_sql_reads(root: Path) -> None:
    project = load_project(root)
    assert project.models["a_summary"].depends_on == {"z_priced_items"}
    assert project.models["z_priced_items"].depends_on == {"stg_raw__items"}
    assert project.models["stg_raw__items"].sources == {("raw", "items")}
    assert project.order == ["stg_raw__items", "z_priced_items", "a_summary"]


def test_cycle_is_reported_with_the_models_in_it(root: Path) -> None:
    write_model(root, "intermediate", "int_x", "select * from int_y")
    write_model(root, "intermediate", "int_y", "select * from analytics.int_x")
    with pytest.raises(CycleError, match=r"int_x -> int_y -> int_x|int_y -> int_x -> int_y"):
        load_project(root)


def test_cycle_fails_before_touching_the_warehouse(
    root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    build(con, root=root)
    write_model(root, "intermediate", "int_x", "select * from int_x_again")
    write_model(root, "intermediate", "int_x_again", "select * from int_x")
    with pytest.raises(CycleError):
        build(con, root=root)
    assert built_tables(con) == ["a_summary", "stg_raw__items", "z_priced_items"]


def test_a_bare_name_that_is_no_model_fails_at_load(root: Path) -> None:
    write_model(root, "marts", "typo", "select * from stg_raw__itemz")
    with pytest.raises(ModelError, match=r"marts/typo.sql: refers to 'stg_raw__itemz'"):
        load_project(root)


def test_an_undeclared_raw_table_fails_at_load(root: Path) -> None:
    write_model(root, "staging", "stg_raw__orders", "select * from raw.orders")
    with pytest.raises(ModelError, match=r"raw.orders, which no _raw__sources.toml declares"):
        load_project(root)


def test_a_cte_named_like_a_model_is_rejected(root: Path) -> None:
    write_model(
        root, "marts", "shadow", "with z_priced_items as (select 1) select * from z_priced_items"
    )
    with pytest.raises(ModelError, match="CTE 'z_priced_items' has a model's name"):
        load_project(root)


def test_unparsable_sql_names_the_file(root: Path) -> None:
    write_model(root, "marts", "broken", "select from where")
    with pytest.raises(ModelError, match=r"marts/broken.sql: cannot parse the SQL"):
        load_project(root)


def test_an_unknown_check_kind_names_the_file(root: Path) -> None:
    write_model(root, "marts", "checked", "select 1 as x", checks='uniqueness = ["x"]')
    with pytest.raises(ModelError, match=r"marts/checked.sql: bad \[checks\] block: unknown check"):
        load_project(root)


def test_a_check_table_outside_checks_is_rejected(root: Path) -> None:
    write_model(root, "marts", "checked", "select 1 as x", checks='[row_count]\n"one" = "1"')
    with pytest.raises(ModelError, match=r"\['row_count'\] outside \[checks\]"):
        load_project(root)


def test_build_order_alone_detects_a_cycle_in_hand_made_models(root: Path) -> None:
    models = load_models(root, {("raw", "items")})
    staging = models["stg_raw__items"]
    models["stg_raw__items"] = dataclasses.replace(staging, depends_on=frozenset({"a_summary"}))
    with pytest.raises(CycleError):
        build_order(models)


# ---- rewriting references --------------------------------------------------------------------


def test_rewrite_changes_only_table_names_not_strings_or_comments() -> None:
    sql = (
        "select 'analytics.items' as label, i.* -- from items\n"
        'from analytics.items as i join "items" using (id) join raw.items using (id)'
    )
    references, _ = table_references(sql, "test")
    rewritten = rewrite(sql, references, model_targets(["items"], "build"))
    assert rewritten == (
        "select 'analytics.items' as label, i.* -- from items\n"
        'from "build"."items" as i join "build"."items" using (id) join raw.items using (id)'
    )


# ---- building, checks and atomic publish -----------------------------------------------------


def test_build_publishes_every_model_with_rows_and_seconds(
    root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    result = build(con, root=root)
    assert result.ok
    assert [(run.name, run.rows) for run in result.models] == [
        ("stg_raw__items", 3),
        ("z_priced_items", 2),
        ("a_summary", 1),
    ]
    assert all(run.seconds >= 0 for run in result.models)
    assert result.checks_run == 4 and not result.failed_checks
    assert rows_of(con, "analytics.a_summary") == [(2, 1050)]


def test_analytics_lists_only_the_marts(root: Path, con: duckdb.DuckDBPyConnection) -> None:
    """A BI tool pointed at `analytics` sees the marts; staging and intermediate models are
    built beside it, in `analytics_internal`, and models read them by their usual names."""
    build(con, root=root)
    assert tables_in(con, "analytics") == ["a_summary", "z_priced_items"]
    assert tables_in(con, "analytics_internal") == ["stg_raw__items"]


def test_failed_check_names_model_and_check_and_keeps_previous_analytics(
    root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    build(con, root=root)
    before = {name: rows_of(con, f"analytics.{name}") for name in tables_in(con, "analytics")}
    con.execute("insert into raw.items values (2, 'duplicate flag', 100), (4, 'new', 50)")
    with pytest.raises(BuildError) as failed:
        build(con, root=root)
    message = str(failed.value)
    assert "stg_raw__items: check unique(item_id) failed: 1 duplicated key(s), e.g. 2" in message
    assert message.endswith("analytics left unchanged") and "\n" not in message
    assert [str(f) for f in failed.value.result.failed_checks] == [
        "stg_raw__items: check unique(item_id) failed: 1 duplicated key(s), e.g. 2"
    ]
    assert not failed.value.result.published
    after = {name: rows_of(con, f"analytics.{name}") for name in tables_in(con, "analytics")}
    assert after == before
    assert "analytics__stand_ins" not in schemas(con)


def test_failing_model_sql_keeps_previous_analytics(
    root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    build(con, root=root)
    before = rows_of(con, "analytics.z_priced_items")
    write_model(
        root, "marts", "m_bad", "select cast(item_name as integer) as n from stg_raw__items"
    )
    with pytest.raises(BuildError, match=r"^model m_bad failed to build: Conversion Error"):
        build(con, root=root)
    assert built_tables(con) == ["a_summary", "stg_raw__items", "z_priced_items"]
    assert rows_of(con, "analytics.z_priced_items") == before


def test_readers_see_the_previous_build_until_the_new_one_commits(
    root: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(con, root=root)
    con.execute("insert into raw.items values (4, 'banner', 2500)")
    seen_mid_build: list[Any] = []
    run_checks = transform._run_checks

    def spying(con_: Connection, *args: Any) -> None:
        reader = con_.native.cursor()  # another connection to the same database
        seen_mid_build.append(rows_of(reader, "analytics.a_summary"))
        seen_mid_build.append(built_tables(reader))
        run_checks(con_, *args)

    monkeypatch.setattr(transform, "_run_checks", spying)
    build(con, root=root)
    assert seen_mid_build == [[(2, 1050)], ["a_summary", "stg_raw__items", "z_priced_items"]]
    assert rows_of(con.cursor(), "analytics.a_summary") == [(3, 3550)]


def test_rebuild_is_idempotent(root: Path, con: duckdb.DuckDBPyConnection) -> None:
    build(con, root=root)
    first = {name: rows_of(con, f"analytics.{name}") for name in tables_in(con, "analytics")}
    schemas_after_first = schemas(con)
    build(con, root=root)
    second = {name: rows_of(con, f"analytics.{name}") for name in tables_in(con, "analytics")}
    assert second == first
    assert schemas(con) == schemas_after_first


def test_a_removed_model_is_gone_after_the_next_build(
    root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    build(con, root=root)
    (root / "marts" / "a_summary.sql").unlink()
    build(con, root=root)
    assert built_tables(con) == ["stg_raw__items", "z_priced_items"]


def test_build_accepts_a_path_and_closes_it(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as setup:
        setup.execute("create schema raw")
        setup.execute("create table raw.items as select 1 as id, 'x' as name, 5 as price_cents")
    assert build(path, root=root).ok
    with duckdb.connect(str(path)) as after:  # would fail if the build still held the file
        assert rows_of(after, "analytics.a_summary") == [(1, 5)]


def test_build_marts_returns_json_ready_figures(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "marts.duckdb"
    with duckdb.connect(str(path)) as setup:
        setup.execute("create schema raw")
        setup.execute("create table raw.items as select 1 as id, 'x' as name, 5 as price_cents")
    monkeypatch.setattr(transform, "TRANSFORMS_DIR", root)
    figures = build_marts(path)
    assert json.loads(json.dumps(figures)) == figures
    assert figures["published"] is True
    assert figures["summary"].startswith("3 models in ")
    assert [model["name"] for model in figures["models"]] == [
        "stg_raw__items",
        "z_priced_items",
        "a_summary",
    ]


# ---- stand-ins for raw tables a warehouse lacks ----------------------------------------------


def test_a_missing_raw_table_builds_as_empty(root: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    result = build(con, root=root)
    assert [str(s) for s in result.stand_ins] == ["raw.items (not loaded: empty stand-in)"]
    assert rows_of(con, "analytics.a_summary") == [(0, None)]
    assert "raw" not in schemas(con)  # the raw schema belongs to dlt: never created by a build


def test_a_missing_raw_column_reads_as_null(root: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "narrow.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.items as select 1::bigint as id, 7::bigint as price_cents")
    result = build(con, root=root)
    assert [str(s) for s in result.stand_ins] == ["raw.items (missing name: nulls)"]
    assert rows_of(con, "analytics_internal.stg_raw__items") == [(1, None, 7)]
    assert tables_in(con, "raw") == ["items"]


# ---- every kind of check catches what it is for ----------------------------------------------


@pytest.mark.parametrize(
    ("checks", "failure"),
    [
        ('unique = [["item_id", "item_name"]]', "unique(item_id, item_name) failed: 1 duplicated"),
        ('not_null = ["item_name"]', "not_null(item_name) failed: 1 row(s)"),
        (
            'accepted_values = { item_name = ["pin", "flag"] }',
            "accepted_values(item_name) failed: 1 row(s), e.g. free",
        ),
        (
            'relationships = { item_id = "z_priced_items.item_id" }',
            "relationships(item_id -> z_priced_items.item_id) failed: 2 row(s), e.g. ",
        ),
        ('expect = { "cheap" = "price_cents < 500" }', "expect(cheap) failed: 2 row(s)"),
        ('row_count = { "three" = "3" }', "row_count(three) failed: 5 rows, expected 3"),
        (
            'equal = { "all priced" = ["(select count(*) from z_priced_items)", "4"] }',
            "equal(all priced) failed: 3 != 4",
        ),
    ],
)
def test_each_check_kind_fails_on_what_it_guards(
    root: Path, con: duckdb.DuckDBPyConnection, checks: str, failure: str
) -> None:
    con.execute("delete from raw.items")
    con.execute(
        "insert into raw.items values "
        "(1, 'pin', 150), (2, 'flag', 900), (2, 'flag', 900), (3, 'free', 0), (4, null, 0)"
    )
    unchecked = "select id as item_id, name as item_name, price_cents from raw.items"
    write_model(root, "staging", "stg_raw__items", unchecked)  # without its unique check
    write_model(root, "marts", "under_test", "select * from stg_raw__items", checks=checks)
    with pytest.raises(BuildError) as failed:
        build(con, root=root)
    assert len(failed.value.result.failed_checks) == 1
    assert str(failed.value).startswith(f"under_test: check {failure}")


def test_a_check_that_cannot_run_fails_the_build_with_its_name(
    root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    write_model(
        root, "marts", "odd", "select 1 as x", checks='expect = { "bad" = "no_such_col > 0" }'
    )
    with pytest.raises(BuildError, match=r"odd: check expect\(bad\) failed: could not run: Binder"):
        build(con, root=root)


def test_transform_error_is_the_one_type_to_catch() -> None:
    assert issubclass(BuildError, TransformError)
    assert issubclass(CycleError, TransformError)
    assert issubclass(ModelError, TransformError)
