"""The write-back commands (`push-list`, `import-people`, `an-tag`, `an-upsert-people`):
options, one summary, exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pipelines.options import add_warehouse_options
from sources.http import ApiError
from warehouse.location import resolve
from warehouse.lock import RunLocked
from writeback.an_people import upsert_people
from writeback.an_tags import ID_COLUMN, tag_people
from writeback.imports import (
    POLL_INTERVAL_SECONDS,
    TIMEOUT_SECONDS,
    import_people,
)
from writeback.lists import push_list
from writeback.nationbuilder import MAX_IDS_PER_REQUEST, MAX_IMPORT_BYTES, ImportTimeout
from writeback.segment import WritebackError

QUERY_HELP = "one SELECT to run on the warehouse, or the name of a saved segment"


class Summary(Protocol):
    """What every write-back returns: a paragraph for people, a dict for schedulers."""

    def render(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


def add_writeback_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Registers the write-back commands; each sets `func`, which returns an exit code."""
    push = subparsers.add_parser(
        "push-list",
        help="make a NationBuilder list hold exactly a segment's people (adds, removes, tags)",
    )
    push.add_argument(
        "--list",
        dest="list_slug",
        required=True,
        metavar="SLUG",
        help="slug of the list; created if the nation has none with this slug",
    )
    push.add_argument(
        "--query",
        required=True,
        metavar="SQL_OR_SEGMENT",
        help=f"{QUERY_HELP}; returns NationBuilder ids in a column named "
        "nationbuilder_signup_id, signup_id or id (else the first column)",
    )
    push.add_argument("--tag", help="tag everyone on the list with this tag")
    push.add_argument("--name", dest="list_name", help="name of a new list (default: its slug)")
    push.add_argument(
        "--author-id",
        type=int,
        help="NationBuilder id of a new list's author (default: the token's owner)",
    )
    push.add_argument(
        "--batch-size",
        type=int,
        default=MAX_IDS_PER_REQUEST,
        help=f"ids per add or remove request (default and maximum {MAX_IDS_PER_REQUEST})",
    )
    add_common_options(push)
    push.set_defaults(func=run_push_list)

    people = subparsers.add_parser(
        "import-people", help="create or update NationBuilder people from a query's rows"
    )
    people.add_argument(
        "--query",
        required=True,
        metavar="SQL_OR_SEGMENT",
        help=f"{QUERY_HELP}; its columns are the import's (first_name, last_name, "
        "email, phone_number, ...; primary_email is sent as email)",
    )
    people.add_argument(
        "--overwrite",
        action="store_true",
        help="overwrite non-empty fields of matched people (default: fill only empty ones)",
    )
    people.add_argument(
        "--chunk-mb",
        type=float,
        default=MAX_IMPORT_BYTES / 1_000_000,
        help="largest import file in MB (default 50, NationBuilder's limit)",
    )
    people.add_argument(
        "--poll-interval",
        type=float,
        default=POLL_INTERVAL_SECONDS,
        help="seconds between import status checks",
    )
    people.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_SECONDS,
        help="seconds to wait for each import to finish",
    )
    add_common_options(people)
    people.set_defaults(func=run_import_people)
    add_action_network_commands(subparsers)


def add_action_network_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    tag = subparsers.add_parser(
        "an-tag", help="make an Action Network tag hold exactly a segment's people"
    )
    tag.add_argument("--tag", required=True, metavar="NAME", help="the tag; created if new")
    tag.add_argument(
        "--query",
        required=True,
        metavar="SQL_OR_SEGMENT",
        help=f"{QUERY_HELP}; names people by {ID_COLUMN} (action_network:<uuid>), or by"
        " email / primary_email where that is null (looked up in Action Network)",
    )
    tag.add_argument(
        "--remove-others",
        action="store_true",
        help="untag the people the tag holds who are not in the segment (default: keep them)",
    )
    add_common_options(tag)
    tag.set_defaults(func=run_an_tag)

    upsert = subparsers.add_parser(
        "an-upsert-people",
        help="create or update Action Network people from a query's rows (by email, or phone)",
    )
    upsert.add_argument(
        "--query",
        required=True,
        metavar="SQL_OR_SEGMENT",
        help=f"{QUERY_HELP}; columns email or primary_email, mobile_number or phone_number,"
        " first_name, last_name, address_lines, locality, region, postal_code, country, and"
        " person_id (whose analytics.contactability decides who is subscribed)",
    )
    add_common_options(upsert)
    upsert.set_defaults(func=run_an_upsert_people)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would change and send nothing that changes anything",
    )
    add_warehouse_options(parser)


def run_push_list(args: argparse.Namespace) -> int:
    return run(
        args,
        "push-list",
        lambda warehouse: push_list(
            warehouse,
            args.list_slug,
            args.query,
            tag=args.tag,
            dry_run=args.dry_run,
            list_name=args.list_name,
            author_id=args.author_id,
            batch_size=args.batch_size,
        ),
    )


def run_import_people(args: argparse.Namespace) -> int:
    if args.chunk_mb <= 0 or args.poll_interval < 0 or args.timeout <= 0:
        return fail(
            args, "--chunk-mb and --timeout must be positive, --poll-interval not negative", 2
        )
    return run(
        args,
        "import-people",
        lambda warehouse: import_people(
            warehouse,
            args.query,
            overwrite=args.overwrite,
            dry_run=args.dry_run,
            chunk_bytes=int(args.chunk_mb * 1_000_000),
            poll_interval=args.poll_interval,
            timeout=args.timeout,
        ),
    )


def run_an_tag(args: argparse.Namespace) -> int:
    return run(
        args,
        "an-tag",
        lambda warehouse: tag_people(
            warehouse,
            args.tag,
            args.query,
            remove_others=args.remove_others,
            dry_run=args.dry_run,
        ),
    )


def run_an_upsert_people(args: argparse.Namespace) -> int:
    return run(
        args,
        "an-upsert-people",
        lambda warehouse: upsert_people(warehouse, args.query, dry_run=args.dry_run),
    )


def run(args: argparse.Namespace, command: str, action: Callable[[Path], Summary]) -> int:
    """0 done; 1 the API failed (rerunning is safe); 2 fix the command or config; 3 locked."""
    try:
        result = action(resolve(args.warehouse))
    except WritebackError as exc:
        return fail(args, str(exc), 2)
    except RunLocked as exc:
        return fail(args, str(exc), 3)
    except (ApiError, ImportTimeout) as exc:
        return fail(args, str(exc), 1)
    if args.log_format == "json":
        print(json.dumps({"event": "summary", "command": command, **result.as_dict()}, default=str))
    else:
        print(result.render())
    return 0


def fail(args: argparse.Namespace, message: str, code: int) -> int:
    if args.log_format == "json":
        print(json.dumps({"event": "error", "message": message}), file=sys.stderr)
    else:
        print(f"civic-etl: error: {message}", file=sys.stderr)
    return code
