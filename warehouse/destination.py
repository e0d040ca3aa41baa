"""Which database the warehouse is: a DuckDB file by default, else a dlt destination by name.

`CIVIC_ETL_DESTINATION=postgres` (or `motherduck`, `bigquery`, `snowflake`, ...) loads through
that dlt destination, whose credentials dlt reads from its usual configuration
(`DESTINATION__POSTGRES__CREDENTIALS=postgresql://...` or `[destination.postgres]` in
`.dlt/secrets.toml`). The `--warehouse` path then only anchors local things: dlt's working
state (the locks and the run log live in the warehouse itself, see warehouse/lock.py).

The transforms and every statement the runner, the deletion marks and the stand-ins send are
written in DuckDB's dialect and translated by sqlglot for the others. Only DuckDB and
PostgreSQL are tested; the others load by configuration alone, and their marts are untested.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
import sqlglot.errors

from warehouse.duckdb_loads import create_file, load_settings

ENV_VAR = "CIVIC_ETL_DESTINATION"
DUCKDB = "duckdb"
# dlt destination -> sqlglot dialect, where their names differ
DIALECTS = {"motherduck": "duckdb", "mssql": "tsql", "synapse": "tsql", "athena": "trino"}


class DestinationError(Exception):
    """The configured destination cannot be reached or used; one line for the CLI."""


def destination_name() -> str:
    """The dlt destination the job loads into: `CIVIC_ETL_DESTINATION`, default `duckdb`."""
    return (os.environ.get(ENV_VAR) or DUCKDB).strip().lower()


def is_duckdb_file() -> bool:
    return destination_name() == DUCKDB


def dlt_destination(warehouse: Path) -> Any:
    """What `dlt.pipeline(destination=...)` gets: the DuckDB file, with the loads' settings and
    the merge of warehouse/merge.py, or the destination's name (so dlt resolves its credentials
    from its own configuration, as for any dlt pipeline)."""
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    from warehouse.merge import UniqueKeysMergeDuckDb

    name = destination_name()
    if name != DUCKDB:
        return name
    settings = load_settings(warehouse)
    return UniqueKeysMergeDuckDb(DuckDbCredentials(str(warehouse), global_config=settings))


def database_errors() -> tuple[type[Exception], ...]:
    """What a failing statement raises: DuckDB's and psycopg2's errors, and a statement sqlglot
    could not translate. (Other drivers' errors pass through as they are.)"""
    errors: list[type[Exception]] = [duckdb.Error, sqlglot.errors.SqlglotError]
    try:
        import psycopg2
    except ImportError:
        pass
    else:
        errors.append(psycopg2.Error)
    return tuple(errors)


def translate(sql: str, dialect: str) -> str:
    """DuckDB SQL in the destination's dialect (unchanged for DuckDB itself)."""
    if dialect == DUCKDB:
        return sql
    return sqlglot.transpile(sql, read=DUCKDB, write=dialect)[0]


class Connection:
    """The few things the runner asks of a warehouse connection, in DuckDB's SQL dialect.

    DuckDB runs the statements as written; any other database gets them translated, through a
    DB-API connection (dlt's, so its credentials come from dlt's configuration).
    """

    def __init__(self, native: Any, dialect: str) -> None:
        self.native = native
        self.dialect = dialect

    @property
    def is_duckdb(self) -> bool:
        return isinstance(self.native, duckdb.DuckDBPyConnection)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row the statement returns."""
        if self.is_duckdb:
            return self.native.execute(sql, list(params)).fetchall()
        with self.native.cursor() as cursor:
            cursor.execute(translate(sql, self.dialect), tuple(params) or None)
            return [tuple(row) for row in cursor.fetchall()]

    def select(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and every row of a query."""
        if self.is_duckdb:
            cursor = self.native.execute(sql, list(params))
            return [d[0] for d in cursor.description or []], cursor.fetchall()
        with self.native.cursor() as cursor:
            cursor.execute(translate(sql, self.dialect), tuple(params) or None)
            names = [d[0] for d in cursor.description or []]
            return names, [tuple(row) for row in cursor.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The statement's rows as one Arrow table (DuckDB hands them over without Python)."""
        if self.is_duckdb:
            return self.native.sql(sql, params=list(params) or None).to_arrow_table()
        with self.native.cursor() as cursor:
            cursor.execute(translate(sql, self.dialect), tuple(params) or None)
            names = [column[0] for column in cursor.description or []]
            rows = cursor.fetchall()
        return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it created, changed or inserted (0 when not said)."""
        if self.is_duckdb:
            row = self.native.execute(sql, list(params)).fetchone()
            return int(row[0]) if row and isinstance(row[0], int) else 0
        with self.native.cursor() as cursor:
            cursor.execute(translate(sql, self.dialect), tuple(params) or None)
            return max(int(cursor.rowcount or 0), 0)

    def begin(self) -> None:
        if self.is_duckdb:
            self.native.execute("begin transaction")
        else:
            self.native.autocommit = False

    def commit(self) -> None:
        if self.is_duckdb:
            self.native.execute("commit")
        else:
            self.native.commit()
            self.native.autocommit = True

    def rollback(self) -> None:
        if self.is_duckdb:
            self.native.execute("rollback")
        else:
            self.native.rollback()
            self.native.autocommit = True


@contextmanager
def connect(warehouse: Path | str, *, read_only: bool = False) -> Iterator[Connection]:
    """A connection to the configured warehouse, closed at the end of the block.

    `read_only` is the reader's connection: it can change nothing, and on DuckDB it can reach
    no file or network either (`enable_external_access` off), so a query a person typed can
    only read the warehouse.
    """
    name = destination_name()
    if name == DUCKDB:
        options: dict[str, str | bool | int | float | list[str]] = (
            {"enable_external_access": False} if read_only else {}
        )
        if not read_only:
            create_file(Path(warehouse))
        con = duckdb.connect(str(warehouse), read_only=read_only, config=options)
        try:
            yield Connection(con, DUCKDB)
        finally:
            con.close()
        return
    import dlt

    # A throwaway pipeline only to borrow dlt's credential resolution and its DB-API client.
    with tempfile.TemporaryDirectory(prefix="civic-etl-sql-") as scratch:
        pipeline = dlt.pipeline(
            pipeline_name="civic_etl_sql",
            destination=name,
            dataset_name="civic_etl",
            pipelines_dir=scratch,
        )
        try:
            client = pipeline.sql_client()
            client.open_connection()
        except Exception as exc:
            raise DestinationError(f"cannot connect to the {name} warehouse: {exc}") from None
        try:
            native = client.native_connection
            if hasattr(native, "set_session"):  # psycopg2
                native.set_session(readonly=read_only, autocommit=True)
            elif hasattr(native, "autocommit"):
                native.autocommit = True
            yield Connection(native, DIALECTS.get(name, name))
        finally:
            client.close_connection()
