"""Write-back: act in the accounts on what the warehouse found (list members, people imports).

Its calls to NationBuilder are in `writeback.nationbuilder`; everything it reads from or keeps
in the warehouse goes through warehouse/ (`writeback.logs`); the CLI only registers its commands.
"""

from writeback.commands import add_writeback_commands
from writeback.connection import NbConnection
from writeback.imports import ChunkImport, ImportResult, import_people
from writeback.lists import PushResult, push_list
from writeback.segment import SEGMENTS_DIR, Segment, WritebackError, resolve_segment

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
