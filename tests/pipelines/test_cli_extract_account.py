"""`extract --account`: one account per call, so a scheduler can fan accounts out; `transform`
afterwards builds the same marts as one `run` of every account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.support.accounts import nations, nations_env
from tests.support.cli import run_cli

SMALL = {"nb_signups": 60, "nb_donations": 20, "an_people": 5, "an_actions": 5}
SEEDS = {"north": 21, "south": 22}
MARTS = ("people", "donations", "actions")


@pytest.fixture(scope="module")
def two_nations() -> Iterator[dict[str, str]]:
    """Two NationBuilder accounts (north, south), each its own simulator; no Action Network."""
    with nations(SEEDS, **SMALL) as sims:
        yield nations_env(sims)


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            mart: sorted(map(repr, con.execute(f"select * from analytics.{mart}").fetchall()))
            for mart in MARTS
        }


def test_an_unknown_account_exits_2_listing_the_configured_ones(
    two_nations: dict[str, str], tmp_path: Path
) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    result = run_cli("extract", "--warehouse", warehouse, "--account", "west", env=two_nations)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'west'" in lines[0]
    assert "nationbuilder:north" in lines[0] and "nationbuilder:south" in lines[0]


def test_extract_one_account_lands_only_that_account(
    two_nations: dict[str, str], tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    args = ("extract", "--warehouse", str(warehouse), "--log-format", "json")
    result = run_cli(*args, "--account", "nationbuilder:north", env=two_nations)
    assert result.returncode == 0, result.stderr
    summary = result.json_lines()[-1]
    assert [line["account"] for line in summary["accounts"]] == ["nationbuilder:north"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select schema_name from duckdb_schemas()").fetchall()
    schemas = {row[0] for row in rows}
    assert "nationbuilder_account_north" in schemas
    assert "nationbuilder_account_south" not in schemas


def test_accounts_extracted_apart_then_transformed_equal_one_run(
    two_nations: dict[str, str], tmp_path: Path
) -> None:
    apart, together = tmp_path / "apart.duckdb", tmp_path / "together.duckdb"
    for name in SEEDS:
        result = run_cli("extract", "--warehouse", str(apart), "--account", name, env=two_nations)
        assert result.returncode == 0, result.stderr
    assert run_cli("transform", "--warehouse", str(apart), env=two_nations).returncode == 0
    assert run_cli("run", "--warehouse", str(together), env=two_nations).returncode == 0
    built = marts(apart)
    assert built["people"], "the marts are empty: nothing was compared"
    assert built == marts(together)


def test_python_api_extracts_the_named_accounts(
    two_nations: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines import api

    for key, value in two_nations.items():
        monkeypatch.setenv(key, value)
    warehouse = tmp_path / "api.duckdb"
    summary = api.extract(["south"], warehouse=warehouse)
    assert summary.ok
    assert [run.label for run in summary.sources] == ["nationbuilder:south"]
    assert api.transform(warehouse=warehouse).ok
