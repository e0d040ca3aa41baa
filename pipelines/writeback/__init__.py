"""Write-back: act in NationBuilder on what the warehouse found (list members, people imports)."""

from pipelines.writeback.commands import add_writeback_commands
from pipelines.writeback.connection import NbConnection
from pipelines.writeback.imports import ChunkImport, ImportResult, import_people
from pipelines.writeback.lists import PushResult, push_list
from pipelines.writeback.segments import SEGMENTS_DIR, Segment, WritebackError, resolve_segment

__all__ = [
    "SEGMENTS_DIR",
    "ChunkImport",
    "ImportResult",
    "NbConnection",
    "PushResult",
    "Segment",
    "WritebackError",
    "add_writeback_commands",
    "import_people",
    "push_list",
    "resolve_segment",
]
