"""A warehouse file the job makes has small blocks and its loads a small memory limit; a file
made before (DuckDB's default blocks) keeps its blocks, and its loads the limit they need."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.simulator import TINY, simulator
from tests.support.warehouse import assert_matches_truth
from warehouse.duckdb_loads import (
    BLOCK_SIZE,
    DEFAULT_BLOCKS_MEMORY_LIMIT,
    LOAD_MEMORY_LIMIT,
    MEMORY_LIMIT_ENV_VAR,
    block_size,
    load_settings,
)

DUCKDB_DEFAULT_BLOCK_SIZE = 262_144


def test_a_new_warehouse_has_small_blocks_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    new, old = tmp_path / "new.duckdb", tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()  # as every file was made before
    with simulator(**TINY) as sim:
        for warehouse in (new, old):
            extracted = run_cli("run", "--warehouse", str(warehouse), env=cli_env(sim, tmp_path))
            assert extracted.returncode == 0, extracted.stderr[-3000:]
            assert_matches_truth(warehouse, sim)
    assert block_size(new) == BLOCK_SIZE < DUCKDB_DEFAULT_BLOCK_SIZE == block_size(old)
    assert load_settings(new)["memory_limit"] == LOAD_MEMORY_LIMIT
    assert load_settings(old)["memory_limit"] == DEFAULT_BLOCKS_MEMORY_LIMIT


def test_the_memory_limit_setting_overrides_either_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV_VAR, "512MB")
    duckdb.connect(str(tmp_path / "old.duckdb")).close()
    for warehouse in (tmp_path / "old.duckdb", tmp_path / "not-made-yet.duckdb"):
        assert load_settings(warehouse) == {"memory_limit": "512MB", "threads": 1}
