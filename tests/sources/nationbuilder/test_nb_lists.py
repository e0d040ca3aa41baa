"""Lists read through API v1 (nonce paging) and v2 (JSON:API) land the same tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from nb_helpers import (
    FAST,
    SCHEMA,
    SMALL,
    column_types,
    configure,
    live_pairs,
    mismatches,
    mutate,
    query,
    run_nb,
    simulator,
    truth,
)

from tests.support.simulator import reset_stats, stats
from tests.support.warehouse import execute

LIST_COLUMNS = "id, name, slug, author_id, signups_count"
# 30 lists of 0-20% of 800 signups: every list shape, at a quarter of the 3k population's cost.
POPULATION = {**FAST, "nb_signups": 800, "nb_donations": 200}


def _lists(warehouse: Path) -> list[tuple[object, ...]]:
    return query(warehouse, f"select {LIST_COLUMNS} from {SCHEMA}.lists order by id")


def _run(env: pytest.MonkeyPatch, folder: Path, version: str) -> None:
    env.setenv("SOURCES__NATIONBUILDER__LISTS_API", version)
    env.setenv("SOURCES__NATIONBUILDER__TOKEN_CACHE", str(folder / "nb_tokens.json"))
    run_nb(folder / "w.duckdb")


def test_v1_and_v2_lists_land_the_same_tables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    with simulator(**POPULATION) as sim:
        configure(monkeypatch, sim, tmp_path)
        for round_ in range(2):
            if round_:
                mutate(sim, 0.02)  # changes two lists' members and deletes signups
            reset_stats(sim)
            _run(monkeypatch, v1, "v1")
            routes = stats(sim)["by_route"]
            assert routes.get("nationbuilder GET /api/v1/lists", 0) >= 1
            assert "nationbuilder GET /api/v2/lists/{list_id}/signups" not in routes
            reset_stats(sim)
            _run(monkeypatch, v2, "v2")
            routes = stats(sim)["by_route"]
            assert "nationbuilder GET /api/v1/lists" not in routes
            expected = truth(sim)

            lists_v1, lists_v2 = _lists(v1 / "w.duckdb"), _lists(v2 / "w.duckdb")
            assert len(lists_v1) == FAST["nb_lists"]
            assert lists_v1 == lists_v2, f"round {round_}"
            pairs_v2 = live_pairs(v2 / "w.duckdb")
            assert live_pairs(v1 / "w.duckdb") == pairs_v2, f"round {round_}"
            assert pairs_v2 == [tuple(p) for p in expected["list_signups"]["pairs"]]
            for warehouse in (v1 / "w.duckdb", v2 / "w.duckdb"):
                assert mismatches(warehouse, expected) == {}
        # Sizes agree with the members loaded, in both.
        for warehouse in (v1 / "w.duckdb", v2 / "w.duckdb"):
            wrong = query(
                warehouse,
                f"""
                select l.id from {SCHEMA}.lists l
                left join {SCHEMA}.list_signups p on p.list_id = l.id and p.deleted_at is null
                group by l.id, l.signups_count
                having count(p.signup_id) != l.signups_count
                """,
            )
            assert wrong == []
        for table in ("lists", "list_signups"):
            types_v1 = column_types(v1 / "w.duckdb", table)
            types_v2 = column_types(v2 / "w.duckdb", table)
            shared = {*LIST_COLUMNS.split(", "), "list_id", "signup_id", "deleted_at"}
            assert {k: v for k, v in types_v1.items() if k in shared} == {
                k: v for k, v in types_v2.items() if k in shared
            }


def test_members_of_a_deleted_list_are_marked_deleted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A list the nation deleted (here: pairs of a list id it never had) leaves no live pairs."""
    warehouse = tmp_path / "w.duckdb"
    with simulator(**SMALL) as sim:
        configure(monkeypatch, sim, tmp_path)
        run_nb(warehouse)
        execute(
            warehouse,
            f"insert into {SCHEMA}.list_signups (list_id, signup_id, _dlt_load_id) "
            "values (999, 1, '1000000000.0'), (999, 2, '1000000000.0')",
        )
        run = run_nb(warehouse)
        assert mismatches(warehouse, truth(sim)) == {}
    assert run.deleted == 2
    marked = query(
        warehouse,
        f"select list_id, signup_id from {SCHEMA}.list_signups where deleted_at is not null",
    )
    assert sorted(marked) == [(999, 1), (999, 2)]
    records = query(
        warehouse, f"select id from {SCHEMA}.deleted_records where resource = 'list_signups'"
    )
    assert sorted(records) == [("999:1",), ("999:2",)]
