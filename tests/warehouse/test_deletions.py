"""Stamping `deleted_at` from the `deleted_records` a source loaded, by load order."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.deletions import apply_deletions
from warehouse.destination import DUCKDB, Connection

KEYS = {"signups": ("id",), "list_signups": ("list_id", "signup_id")}


def warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """Raw tables as dlt lands them, every row from load 1."""
    con = duckdb.connect(str(path))
    con.execute("create schema nb")
    con.execute("create table nb.signups (id bigint, deleted_at timestamptz, _dlt_load_id varchar)")
    con.execute("insert into nb.signups values (1, null, '1'), (2, null, '1'), (3, null, '1')")
    con.execute(
        "create table nb.list_signups (list_id bigint, signup_id bigint, "
        "deleted_at timestamptz, _dlt_load_id varchar)"
    )
    con.execute(
        "insert into nb.list_signups values (1, 1, null, '1'), (1, 2, null, '1'), (2, 1, null, '1')"
    )
    con.execute(
        "create table nb.deleted_records "
        "(resource varchar, id varchar, deleted_at timestamptz, _dlt_load_id varchar)"
    )
    return con


def load_deletions(con: duckdb.DuckDBPyConnection, load: str, *keys: tuple[str, str]) -> None:
    """What a merge of `deleted_records` rows does: the newest deletion of a key wins."""
    for resource, key in keys:
        con.execute("delete from nb.deleted_records where resource = ? and id = ?", [resource, key])
        con.execute("insert into nb.deleted_records values (?, ?, now(), ?)", [resource, key, load])


def marked(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[int, ...]]:
    key = ", ".join(KEYS[table])
    return con.execute(
        f"select {key} from nb.{table} where deleted_at is not null order by {key}"
    ).fetchall()


def test_loaded_deletions_mark_their_rows_once(tmp_path: Path) -> None:
    with warehouse(tmp_path / "w.duckdb") as native:
        con = Connection(native, DUCKDB)
        load_deletions(
            native, "2", ("signups", "2"), ("list_signups", "1:2"), ("list_signups", "9:9")
        )
        assert apply_deletions(con, "nb", KEYS) == 2
        assert marked(native, "signups") == [(2,)]
        assert marked(native, "list_signups") == [(1, 2)]
        # Marked again (nothing new): no row changes, nothing counted twice.
        assert apply_deletions(con, "nb", KEYS) == 0


def test_a_key_that_came_back_after_its_deletion_stays_live(tmp_path: Path) -> None:
    with warehouse(tmp_path / "w.duckdb") as native:
        con = Connection(native, DUCKDB)
        load_deletions(native, "2", ("list_signups", "1:2"))
        apply_deletions(con, "nb", KEYS)
        # The person rejoins the list: load 3 brings the pair back, live.
        native.execute(
            "update nb.list_signups set deleted_at = null, _dlt_load_id = '3' "
            "where list_id = 1 and signup_id = 2"
        )
        assert apply_deletions(con, "nb", KEYS) == 0
        assert marked(native, "list_signups") == []


def test_a_pair_that_leaves_twice_is_stamped_with_the_second_leaving(tmp_path: Path) -> None:
    with warehouse(tmp_path / "w.duckdb") as native:
        con = Connection(native, DUCKDB)
        load_deletions(native, "2", ("list_signups", "1:2"))
        apply_deletions(con, "nb", KEYS)
        (first,) = native.execute(
            "select deleted_at from nb.list_signups where list_id = 1 and signup_id = 2"
        ).fetchone() or (None,)
        native.execute(
            "update nb.list_signups set deleted_at = null, _dlt_load_id = '3' "
            "where list_id = 1 and signup_id = 2"
        )
        load_deletions(native, "4", ("list_signups", "1:2"))
        assert apply_deletions(con, "nb", KEYS) == 1
        (second,) = native.execute(
            "select deleted_at from nb.list_signups where list_id = 1 and signup_id = 2"
        ).fetchone() or (None,)
        assert isinstance(first, datetime) and isinstance(second, datetime)
        assert second > first


def test_nothing_to_mark_without_a_deleted_records_table(tmp_path: Path) -> None:
    with warehouse(tmp_path / "w.duckdb") as native:
        native.execute("drop table nb.deleted_records")
        assert apply_deletions(Connection(native, DUCKDB), "nb", KEYS) == 0
