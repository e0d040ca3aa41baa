"""`civic-etl query`: ask the warehouse a question without a DuckDB CLI.

Each query opens a read-only connection and closes it as soon as its rows are read, so a
person exploring the warehouse never holds the file when the nightly run wants it. Only
SELECTs run (the same check a write-back segment passes), on a connection that can reach no
file and no network.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from warehouse.segments import SegmentError, run_segment

TABLES = (
    "select table_schema, table_name from information_schema.tables"
    " where table_schema not like '%\\_staging' escape '\\'"
    " and table_name not like '\\_dlt\\_%' escape '\\'"
    " order by 1, 2"
)
PROMPT = "civic> "
# Text output shows at most this many characters per value: one wide JSON column should not
# push every other column off the screen.
MAX_WIDTH = 40


def render(columns: Sequence[str], rows: Sequence[tuple[Any, ...]], fmt: str, out: TextIO) -> None:
    """Rows as an aligned table, CSV or one JSON object per line."""
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
        return
    if fmt == "json":
        for row in rows:
            out.write(json.dumps(dict(zip(columns, row, strict=True)), default=str) + "\n")
        return
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    header = "  ".join(name.ljust(w) for name, w in zip(columns, widths, strict=True))
    out.write(header.rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for cell_row in cells:
        line = "  ".join(c.ljust(w) for c, w in zip(cell_row, widths, strict=True))
        out.write(line.rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _cell(value: Any) -> str:
    text = "NULL" if value is None else " ".join(str(value).split())
    return text if len(text) <= MAX_WIDTH else text[: MAX_WIDTH - 3] + "..."


def ask(warehouse: Path, sql: str, fmt: str, out: TextIO) -> None:
    """One query, its rows printed; SegmentError (one line) when it is not a SELECT or fails."""
    sql = TABLES if sql.strip().rstrip(";").strip().lower() in (".tables", "show tables") else sql
    columns, rows = run_segment(warehouse, sql, "the query")
    render(columns, rows, fmt, out)


def interactive(warehouse: Path, fmt: str, out: TextIO) -> int:
    """Read queries ending in `;` until EOF or `.quit`; an error is printed and the next asked."""
    out.write(f"civic-etl query on {warehouse}: SELECTs ending in ';', .tables, .quit\n")
    buffer: list[str] = []
    while True:
        try:
            line = input(PROMPT if not buffer else "   ...> ")
        except EOFError:
            return 0
        if not buffer and line.strip() in (".quit", ".exit"):
            return 0
        buffer.append(line)
        text = "\n".join(buffer).strip()
        if not (text.endswith(";") or text == ".tables"):
            continue
        buffer.clear()
        try:
            ask(warehouse, text, fmt, out)
        except SegmentError as exc:
            out.write(f"error: {exc}\n")


def run_query(warehouse: Path, sql: str | None, fmt: str) -> int:
    """The command: the query given, else every query on stdin, else a prompt on a terminal."""
    if sql is None and sys.stdin.isatty():
        return interactive(warehouse, fmt, sys.stdout)
    try:
        ask(warehouse, sql if sql is not None else sys.stdin.read(), fmt, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        _stop_writing()
    return 0


def _stop_writing() -> None:
    """The reader of our output went away (`civic-etl query ... | head`): it has what it
    wanted. Point stdout at /dev/null, so Python's flush at exit cannot fail once more and
    print its own error (as Python's documentation on SIGPIPE advises)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
