"""Segments: one SELECT a person wrote, run where it can only read the warehouse.

A segment drives a write to a live NationBuilder or Action Network account, so it must be a
query and nothing else: no COPY that writes a file, no EXPORT, no SET that returns nothing (and
would empty a list), no ATTACH, INSTALL or PRAGMA. It is parsed first (sqlglot) and refused with
one line unless it is exactly one SELECT; then it runs on a read-only connection that, on DuckDB,
cannot reach files or the network either (`enable_external_access` off), so even a table
function such as `read_csv('/etc/passwd')` is refused before it reads a byte.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from warehouse.destination import connect, database_errors

DIALECT = "duckdb"
# sqlglot warns when it falls back to reading a statement as a bare command; such a statement
# is refused here with a line of our own, so its warning would only repeat it.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class SegmentError(Exception):
    """A segment that is not one SELECT, or that failed on the warehouse; one line."""


def check_select(sql: str, label: str = "the query") -> str:
    """`sql` without a trailing semicolon, if it is exactly one SELECT; else SegmentError."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise SegmentError(f"{label} is empty: pass one SELECT or the name of a saved segment")
    try:
        statements = [s for s in sqlglot.parse(text, dialect=DIALECT) if s is not None]
    except ParseError as exc:
        first = str(exc).strip().splitlines()[0]
        raise SegmentError(f"{label} is not a query sqlglot can read: {first}") from None
    if len(statements) != 1:
        raise SegmentError(f"{label} holds {len(statements)} statements; a segment is one SELECT")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        kind = (
            statement.key.upper()
            if not isinstance(statement, exp.Command)
            else str(statement.this).upper()
        )
        raise SegmentError(f"{label} is a {kind} statement; a segment is one SELECT")
    return text


def run_segment(
    warehouse: Path, sql: str, label: str = "the query"
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one SELECT, run on a connection that can only read."""
    query = check_select(sql, label)
    try:
        with connect(warehouse, read_only=True) as con:
            columns, rows = con.select(query)
    except database_errors() as exc:
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        first = lines[0] if lines else type(exc).__name__
        raise SegmentError(f"{label} failed on the warehouse: {first}") from None
    if not columns:
        raise SegmentError(f"{label} returns no columns")
    return columns, rows
