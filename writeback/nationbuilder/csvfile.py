"""People import files: UTF-8 CSV with a header, cut at row boundaries into size-capped chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

# "Each import should be 50mb or less": the decimal reading, the stricter one.
MAX_IMPORT_BYTES = 50_000_000


@dataclass(frozen=True)
class CsvChunk:
    """One import file: the header and `rows` data rows, encoded as UTF-8."""

    data: bytes
    rows: int


def cell(value: Any) -> str:
    """How a warehouse value is written for NationBuilder: empty for null, ISO dates, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return str(value)


def _line(values: Iterable[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell(value) for value in values])
    return buffer.getvalue().encode("utf-8")


def csv_chunks(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], max_bytes: int = MAX_IMPORT_BYTES
) -> Iterator[CsvChunk]:
    """Each chunk repeats the header and stays within `max_bytes`; a row never straddles two."""
    header = _line(columns)
    parts: list[bytes] = []
    size = len(header)
    for row in rows:
        line = _line(row)
        if len(header) + len(line) > max_bytes:
            raise ValueError(
                f"a row of {len(line)} bytes does not fit an import file of {max_bytes} bytes"
            )
        if size + len(line) > max_bytes:
            yield CsvChunk(header + b"".join(parts), len(parts))
            parts, size = [], len(header)
        parts.append(line)
        size += len(line)
    if parts:
        yield CsvChunk(header + b"".join(parts), len(parts))
