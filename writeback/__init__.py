"""Write-back: act in the accounts on what the warehouse found (NationBuilder list members and
people imports; Action Network tags and people).

Its calls to NationBuilder are in `writeback.nationbuilder`, to Action Network in
`writeback.action_network`; everything it reads from or keeps in the warehouse goes through
warehouse/ (`writeback.logs`); the CLI only registers its commands.
"""

from writeback.an_people import UpsertResult, upsert_people
from writeback.an_tags import TagResult, tag_people
from writeback.commands import add_writeback_commands
from writeback.connection import AnConnection, NbConnection
from writeback.imports import ChunkImport, ImportResult, import_people
from writeback.lists import PushResult, push_list
from writeback.segment import SEGMENTS_DIR, Segment, WritebackError, resolve_segment

__all__ = [
    "SEGMENTS_DIR",
    "AnConnection",
    "ChunkImport",
    "ImportResult",
    "NbConnection",
    "PushResult",
    "Segment",
    "TagResult",
    "UpsertResult",
    "WritebackError",
    "add_writeback_commands",
    "import_people",
    "push_list",
    "resolve_segment",
    "tag_people",
    "upsert_people",
]
