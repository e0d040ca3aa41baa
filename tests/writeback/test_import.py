"""`import_people` against the simulator: chunked imports, waited for, logged in the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.simulator import nb_get, requests_served, reset_stats
from tests.support.warehouse import query
from tests.writeback.helpers import (
    SIZES,
    activists_table,
    connection,
    make_warehouse,
    nb_truth,
    writes,
)
from writeback import NbConnection, WritebackError, import_people
from writeback.nationbuilder import ImportTimeout

IMPORT = "nationbuilder POST /api/v1/imports"
ACTIVISTS = "select given_name, family_name, primary_email, phone_number from activists"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SimConfig(**SIZES)) as running:
        yield running


@pytest.fixture
def nb(sim: RunningSimulator, tmp_path: Path) -> NbConnection:
    return connection(sim, tmp_path)


def test_rows_are_imported_in_chunks_and_each_import_is_logged(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = activists_table(tmp_path / "w.duckdb", 12, "chunked")
    before = set(nb_truth(sim)["signups"]["ids"])
    reset_stats(sim)
    result = import_people(
        warehouse,
        ACTIVISTS,
        overwrite=False,
        dry_run=False,
        chunk_bytes=200,
        poll_interval=0,
        connection=nb,
    )
    chunks = len(result.chunks)
    assert chunks >= 3 and writes(sim) == {IMPORT: chunks}
    assert result.columns == ["first_name", "last_name", "email", "phone_number"]
    logged = query(
        warehouse,
        "select import_id, chunk, chunks, status, rows_sent, rows_succeeded, rows_updated,"
        " rows_failed, finished_at >= started_at from civic_etl.imports order by chunk",
    )
    assert [row[1] for row in logged] == list(range(1, chunks + 1))
    assert {row[2:4] for row in logged} == {(chunks, "finished")}
    assert sum(row[4] for row in logged) == sum(row[5] for row in logged) == 12
    assert {row[6:] for row in logged} == {(0, 0, True)}
    assert [row[0] for row in logged] == [c.import_id for c in result.chunks]
    new_ids = set(nb_truth(sim)["signups"]["ids"]) - before
    assert len(new_ids) == 12, "every imported person is a new signup"
    person = nb_get(sim, f"/api/v2/signups/{max(new_ids)}").json()["data"]["attributes"]
    assert (person["first_name"], person["email"]) == ("Zoë", "chunked11@an.example")
    assert "12 rows succeeded, 0 of them updating" in result.render()


def test_second_import_updates_the_same_people_instead_of_adding(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = activists_table(tmp_path / "w.duckdb", 4, "again")
    import_people(
        warehouse, ACTIVISTS, overwrite=False, dry_run=False, poll_interval=0, connection=nb
    )
    count = nb_truth(sim)["signups"]["count"]
    second = import_people(
        warehouse, ACTIVISTS, overwrite=True, dry_run=False, poll_interval=0, connection=nb
    )
    assert (second.total("rows_succeeded"), second.total("rows_updated")) == (4, 4)
    assert nb_truth(sim)["signups"]["count"] == count
    flags = query(warehouse, "select distinct is_overwritable from civic_etl.imports")
    assert sorted(flags) == [(False,), (True,)]


def test_rows_without_email_or_name_fail(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = make_warehouse(
        tmp_path / "w.duckdb",
        "create table rows as select * from (values ('Ada', 'ada@ok.example', null),"
        " (null, null, '5035550000'), ('Bea', null, null)) as v(first_name, email, phone_number)",
    )
    result = import_people(
        warehouse,
        "select * from rows",
        overwrite=False,
        dry_run=False,
        poll_interval=0,
        connection=nb,
    )
    assert (result.total("rows_succeeded"), result.total("rows_failed")) == (2, 1)
    assert query(warehouse, "select rows_failed from civic_etl.imports") == [(1,)]


def test_dry_run_counts_rows_and_files_and_sends_nothing(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = activists_table(tmp_path / "w.duckdb", 12, "dry")
    count = nb_truth(sim)["signups"]["count"]
    reset_stats(sim)
    result = import_people(
        warehouse, ACTIVISTS, overwrite=False, dry_run=True, chunk_bytes=200, connection=nb
    )
    assert result.rows == 12 and len(result.chunks) >= 3
    assert result.render().startswith("Dry run, nothing sent")
    assert requests_served(sim, "nationbuilder") == 0, "a dry import needs no read either"
    assert nb_truth(sim)["signups"]["count"] == count
    tables = query(warehouse, "select table_name from information_schema.tables")
    assert ("imports",) not in tables


def test_an_unfinished_import_is_logged_with_its_status(
    sim: RunningSimulator, nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = activists_table(tmp_path / "w.duckdb", 2, "slow")
    with pytest.raises(ImportTimeout, match="still 'working'"):
        import_people(
            warehouse, ACTIVISTS, overwrite=False, dry_run=False, timeout=0, connection=nb
        )
    logged = query(warehouse, "select status, rows_sent, finished_at from civic_etl.imports")
    assert logged == [("working", 2, None)]


def test_query_without_a_column_to_match_people_by_is_refused(
    nb: NbConnection, tmp_path: Path
) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb", "create table t as select 1 as phone")
    with pytest.raises(WritebackError, match="needs at least one of email"):
        import_people(warehouse, "select * from t", overwrite=False, dry_run=True, connection=nb)
