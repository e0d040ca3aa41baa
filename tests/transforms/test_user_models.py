"""A user's own models (the folder CIVIC_ETL_MODELS_DIR names): built after the marts, checked
alike, published with them or not at all."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.transforms.helpers import insert_raw, rows_of, tables_in, write_model
from warehouse.models import MODELS_DIR_VAR, USER_LAYER
from warehouse.transform import BuildError, ModelError, build, load_project

EMAILABLE = """
with everyone as (
    select * from analytics.people
),

consent as (
    select * from analytics.contactability
),

reachable as (
    select
        everyone.person_id,
        everyone.primary_email
    from everyone
    inner join consent on consent.person_id = everyone.person_id
    where consent.can_email
)

select * from reachable
"""


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    insert_raw(
        con,
        "nationbuilder",
        "signups",
        [
            {"id": 1, "email": "a@x.org", "email1": "a@x.org", "email_opt_in": True},
            {"id": 2, "email": "b@x.org", "email1": "b@x.org", "email_opt_in": False},
        ],
    )
    return con


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    """A user's folder: a model reading a mart, and one (in a subfolder) reading that one."""
    folder = tmp_path / "my_models"
    write_model(folder, "", "emailable", EMAILABLE, checks='unique = ["person_id"]')
    write_model(
        folder,
        "counts",
        "a_emailable_count",
        "select count(*) as people_count from emailable",
        checks='row_count = { "one row" = "1" }',
    )
    return folder


def test_a_user_model_reads_a_mart_and_is_published_with_it(
    con: duckdb.DuckDBPyConnection, mine: Path
) -> None:
    result = build(con, models_dir=mine)
    assert result.ok
    assert rows_of(
        con,
        "(select p.nationbuilder_signup_id, e.primary_email from analytics.emailable as e "
        "join analytics.people as p using (person_id))",
    ) == [(1, "a@x.org")]
    assert rows_of(con, "analytics.a_emailable_count") == [(1,)]
    assert [(run.name, run.layer) for run in result.models][-2:] == [
        ("emailable", USER_LAYER),
        ("a_emailable_count", USER_LAYER),
    ]


def test_user_models_are_built_after_the_marts_in_their_own_order(mine: Path) -> None:
    project = load_project(models_dir=mine)
    layers = [project.models[name].layer for name in project.order]
    assert layers[-2:] == [USER_LAYER, USER_LAYER] and USER_LAYER not in layers[:-2]
    assert project.order[-2:] == ["emailable", "a_emailable_count"]  # dependency, not name


def test_a_failing_check_on_a_user_model_blocks_the_publish(
    con: duckdb.DuckDBPyConnection, mine: Path
) -> None:
    build(con)
    before = {name: rows_of(con, f"analytics.{name}") for name in tables_in(con, "analytics")}
    write_model(
        mine,
        "",
        "nobody_emailable",
        "select * from emailable",
        checks='row_count = { "nobody" = "0" }',
    )
    with pytest.raises(BuildError) as failed:
        build(con, models_dir=mine)
    assert str(failed.value).startswith("nobody_emailable: check row_count(nobody) failed: 1 rows")
    after = {name: rows_of(con, f"analytics.{name}") for name in tables_in(con, "analytics")}
    assert after == before  # nothing published: not the marts, not the user's models


def test_the_folder_comes_from_the_environment(
    con: duckdb.DuckDBPyConnection, mine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODELS_DIR_VAR, str(mine))
    assert build(con).ok
    assert {"emailable", "a_emailable_count"} <= set(tables_in(con, "analytics"))
    monkeypatch.delenv(MODELS_DIR_VAR)
    build(con)
    assert "emailable" not in tables_in(con, "analytics")


def test_a_user_model_cannot_take_a_project_models_name(mine: Path) -> None:
    write_model(mine, "", "people", "select 1 as person_id")
    with pytest.raises(ModelError, match=r"two models are named 'people': marts/people.sql and "):
        load_project(models_dir=mine)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=rf"{MODELS_DIR_VAR}=.*nowhere: no such folder"):
        load_project(models_dir=tmp_path / "nowhere")
