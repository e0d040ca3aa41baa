"""Writing back to NationBuilder through API v1: list members and tags, and people imports."""

from writeback.nationbuilder.client import push_client
from writeback.nationbuilder.csvfile import MAX_IMPORT_BYTES, CsvChunk, csv_chunks
from writeback.nationbuilder.imports import (
    ImportCounts,
    ImportTimeout,
    encode_file,
    import_result,
    start_import,
    wait_until_finished,
)
from writeback.nationbuilder.lists import (
    LIST_SLUG,
    MAX_IDS_PER_REQUEST,
    NbList,
    add_to_list,
    batches,
    create_list,
    find_list,
    list_member_ids,
    remove_from_list,
    tag_list,
    token_owner_id,
)

__all__ = [
    "LIST_SLUG",
    "MAX_IDS_PER_REQUEST",
    "MAX_IMPORT_BYTES",
    "CsvChunk",
    "ImportCounts",
    "ImportTimeout",
    "NbList",
    "add_to_list",
    "batches",
    "create_list",
    "csv_chunks",
    "encode_file",
    "find_list",
    "import_result",
    "list_member_ids",
    "push_client",
    "remove_from_list",
    "start_import",
    "tag_list",
    "token_owner_id",
    "wait_until_finished",
]
