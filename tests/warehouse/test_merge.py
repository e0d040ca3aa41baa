"""The warehouse's merge (warehouse/merge.py) lands what dlt's own DuckDB merge lands: the same
loads through both destinations leave the same rows, whether staged keys repeat or not."""

from __future__ import annotations

from pathlib import Path

import dlt
import pyarrow as pa
import pytest
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from warehouse.merge import UniqueKeysMergeDuckDb

Load = list[tuple[int, int, str]]  # (id, updated_at, value) rows of one load

UNIQUE: list[Load] = [[(1, 10, "a"), (2, 10, "b")], [(2, 20, "b2"), (3, 20, "c")]]
REPEATED_IN_A_LOAD: list[Load] = [
    [(1, 10, "a"), (1, 30, "a-latest"), (2, 10, "b"), (1, 20, "a-between")],
    [(2, 5, "b-older"), (2, 40, "b-latest"), (3, 1, "c")],
]


def land(destination: object, tmp_path: Path, name: str, loads: list[Load]) -> list[tuple]:
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=destination,
        dataset_name="merged",
        pipelines_dir=str(tmp_path / name),
    )

    @dlt.resource(
        name="records",
        primary_key="id",
        write_disposition="merge",
        columns={"updated_at": {"dedup_sort": "desc"}},
    )
    def records(rows: Load):
        ids, stamps, values = zip(*rows, strict=True)
        yield pa.table({"id": list(ids), "updated_at": list(stamps), "value": list(values)})

    for rows in loads:
        pipeline.run(records(rows))
    with pipeline.sql_client() as client:
        return sorted(client.execute_sql("SELECT id, updated_at, value FROM merged.records"))


@pytest.mark.parametrize("loads", [UNIQUE, REPEATED_IN_A_LOAD], ids=["unique", "repeated"])
def test_the_warehouse_merge_lands_what_dlts_merge_lands(tmp_path: Path, loads: list[Load]) -> None:
    ours = UniqueKeysMergeDuckDb(DuckDbCredentials(str(tmp_path / "ours.duckdb")))
    theirs = dlt.destinations.duckdb(str(tmp_path / "theirs.duckdb"))
    landed = land(ours, tmp_path, "ours", loads)
    assert landed == land(theirs, tmp_path, "theirs", loads)
    latest: dict[int, tuple[int, int, str]] = {}
    for row in (row for rows in loads for row in rows):
        if row[0] not in latest or row[1] > latest[row[0]][1]:
            latest[row[0]] = row
    assert landed == sorted(latest.values())
