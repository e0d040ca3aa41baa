"""`import-people`: send a segment's rows to NationBuilder as people imports and log each one."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sources.http import ApiClient
from writeback.connection import NbConnection
from writeback.logs import IMPORTS, record, segment_rows
from writeback.nationbuilder import (
    MAX_IMPORT_BYTES,
    CsvChunk,
    ImportCounts,
    ImportTimeout,
    csv_chunks,
    import_result,
    start_import,
    wait_until_finished,
)
from writeback.segment import SEGMENTS_DIR, WritebackError, resolve_segment

# Warehouse column names (marts, Action Network) and the import column NationBuilder documents.
COLUMN_ALIASES = {"primary_email": "email", "given_name": "first_name", "family_name": "last_name"}
# NationBuilder matches or creates people by these; a file without any of them does nothing.
KEY_COLUMNS = ("email", "first_name", "last_name", "id", "external_id")
POLL_INTERVAL_SECONDS = 5.0
TIMEOUT_SECONDS = 3600.0


@dataclass
class ChunkImport:
    """One import file: its rows, and once sent its import id, status and result."""

    chunk: int
    rows_sent: int
    import_id: int | None = None
    status: str = "not sent"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: ImportCounts | None = None


@dataclass
class ImportResult:
    """What an import did, or in a dry run would do; `render()` says it in one paragraph."""

    segment: str
    dry_run: bool
    overwrite: bool
    columns: list[str]
    rows: int
    chunk_bytes: int
    chunks: list[ChunkImport] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def total(self, name: str) -> int:
        return sum(getattr(c.counts, name) for c in self.chunks if c.counts is not None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        files = f"{len(self.chunks)} import file{'s' * (len(self.chunks) != 1)}"
        if not self.rows:
            return f"Nothing to import: {self.segment} returned no rows."
        mode = "overwriting" if self.overwrite else "filling only empty"
        shape = f"{self.rows} rows with columns {', '.join(self.columns)}"
        if self.dry_run:
            limit = f"{self.chunk_bytes / 1_000_000:g} MB"
            return (
                f"Dry run, nothing sent: {self.segment} has {shape}; they would go as {files}"
                f" of at most {limit} each, {mode} fields of people matched by email."
            )
        ids = ", ".join(str(c.import_id) for c in self.chunks)
        return (
            f"Imported {self.segment} ({shape}) as {files} (import ids {ids}), {mode} fields:"
            f" {self.total('rows_succeeded')} rows succeeded, {self.total('rows_updated')} of"
            f" them updating people already there, and {self.total('rows_failed')} failed."
            f" Each import is logged in {IMPORTS} (run {self.run_id})."
        )


def import_columns(columns: list[str]) -> list[str]:
    """Renames warehouse columns to NationBuilder's, unless the query already has that name."""
    renamed = [
        COLUMN_ALIASES[name]
        if name in COLUMN_ALIASES and COLUMN_ALIASES[name] not in columns
        else name
        for name in columns
    ]
    if not set(renamed) & set(KEY_COLUMNS):
        raise WritebackError(
            f"the query returns {', '.join(columns)}: NationBuilder needs at least one of"
            f" {', '.join(KEY_COLUMNS)} (or primary_email) to match or create people"
        )
    return renamed


def import_people(
    warehouse: Path,
    query: str,
    *,
    overwrite: bool,
    dry_run: bool,
    chunk_bytes: int = MAX_IMPORT_BYTES,
    poll_interval: float = POLL_INTERVAL_SECONDS,
    timeout: float = TIMEOUT_SECONDS,
    connection: NbConnection | None = None,
    segments_dir: Path = SEGMENTS_DIR,
) -> ImportResult:
    """Writes the rows as CSV files of at most `chunk_bytes`, imports them one after another (each
    waited for, up to `timeout` seconds) and logs every import sent, even when a later one fails."""
    segment = resolve_segment(query, segments_dir)
    columns, rows = segment_rows(warehouse, segment)
    columns = import_columns(columns)
    try:
        files = list(csv_chunks(columns, rows, chunk_bytes))
    except ValueError as exc:
        raise WritebackError(str(exc)) from None
    result = ImportResult(segment.label, dry_run, overwrite, columns, len(rows), chunk_bytes)
    result.chunks = [ChunkImport(number, file.rows) for number, file in enumerate(files, 1)]
    if dry_run or not files:
        return result
    nb = connection or NbConnection.from_config()

    async def send() -> None:
        client = nb.client()
        try:
            for file, chunk in zip(files, result.chunks, strict=True):
                await _import_one(client, file, chunk, overwrite, poll_interval, timeout)
        finally:
            await client.close()

    try:
        asyncio.run(send())
    finally:
        sent = [chunk for chunk in result.chunks if chunk.import_id is not None]
        record(warehouse, IMPORTS, [_log_row(result, segment.name, segment.sql, c) for c in sent])
    return result


async def _import_one(
    client: ApiClient,
    file: CsvChunk,
    chunk: ChunkImport,
    overwrite: bool,
    poll_interval: float,
    timeout: float,
) -> None:
    chunk.started_at = datetime.now(UTC)
    chunk.import_id = await start_import(client, file.data, overwrite=overwrite)
    chunk.status = "queued"
    try:
        await wait_until_finished(
            client, chunk.import_id, poll_interval=poll_interval, timeout=timeout
        )
    except ImportTimeout as exc:
        chunk.status = exc.status
        raise
    chunk.status = "finished"
    chunk.finished_at = datetime.now(UTC)
    chunk.counts = await import_result(client, chunk.import_id)


def _log_row(
    result: ImportResult, name: str | None, sql: str, chunk: ChunkImport
) -> dict[str, Any]:
    counts = chunk.counts
    return {
        "run_id": result.run_id,
        "import_id": chunk.import_id,
        "chunk": chunk.chunk,
        "chunks": len(result.chunks),
        "segment": name,
        "query": sql,
        "is_overwritable": result.overwrite,
        "status": chunk.status,
        "rows_sent": chunk.rows_sent,
        "rows_succeeded": counts.rows_succeeded if counts else None,
        "rows_updated": counts.rows_updated if counts else None,
        "rows_failed": counts.rows_failed if counts else None,
        "started_at": chunk.started_at,
        "finished_at": chunk.finished_at,
    }
