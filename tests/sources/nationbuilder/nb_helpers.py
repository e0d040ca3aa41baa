"""The NationBuilder source end to end: simulator control, env config, runs, truth comparisons.

Every run goes through `pipelines.extract.run_sources`, exactly as the CLI runs it, into a
DuckDB file of the test's own; the source reads its settings from SOURCES__NATIONBUILDER__*.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from pipelines.extract import SourceRun, run_sources
from simulator.server import RunningSimulator
from sources.http import ApiSettings, CredentialRegistry
from tests.support import simulator as support
from tests.support.simulator import NB_TOKEN, reset_stats
from tests.support.warehouse import kept_open, pipeline_folder, query
from warehouse.filehold import hold_file

SCHEMA = "nationbuilder"
ENV = "SOURCES__NATIONBUILDER__"
# The fast population: 3k signups, 1k donations, 30 lists. Action Network is not
# extracted by these tests, so its population is kept tiny.
FAST = {"nb_signups": 3_000, "nb_donations": 1_000, "nb_lists": 30}
SMALL = {"nb_signups": 600, "nb_donations": 200, "nb_lists": 8}
NO_AN = {"an_people": 5, "an_actions": 5}
# Collections whose truth is "every id the API has" and whose rows are never marked deleted.
REPLACED = ("signup_tags", "events", "petitions", "lists")


# ---- the simulator ---------------------------------------------------------------------------
@contextmanager
def simulator(**settings: Any) -> Iterator[RunningSimulator]:
    """A simulator of the test's own; rate limits off (no RateLimit headers) unless asked."""
    with support.simulator(**{**NO_AN, **settings}) as running:
        yield running


def truth(sim: RunningSimulator) -> dict[str, Any]:
    """The nation's part of the simulator's truth."""
    return support.truth(sim)["nationbuilder"]  # type: ignore[no-any-return]


def mutate(
    sim: RunningSimulator, fraction: float, delete_fraction: float | None = None
) -> dict[str, Any]:
    return support.mutate(sim, fraction, delete_fraction)["nationbuilder"]  # type: ignore[no-any-return]


def nb_requests(sim: RunningSimulator) -> int:
    """NationBuilder requests the simulator served since the last stats reset."""
    return support.requests_served(sim, "nationbuilder")


def nb_get(
    sim: RunningSimulator, path: str, params: dict[str, Any] | None = None, token: str = NB_TOKEN
) -> Any:
    return support.nb_get(sim, path, params, token=token).json()


def oauth_refresh(sim: RunningSimulator, refresh_token: str) -> dict[str, Any]:
    """What the nation's OAuth endpoint answers a refresh: a new access and refresh token."""
    body = {
        "grant_type": "refresh_token",
        "client_id": sim.config.nb_client_id,
        "client_secret": sim.config.nb_client_secret,
        "refresh_token": refresh_token,
    }
    request = urllib.request.Request(
        sim.nationbuilder_url + "/oauth/token",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:  # pragma: no cover - a failing test says why
        raise AssertionError(f"oauth refresh failed: {exc.code} {exc.read()!r}") from exc
    return answer


# ---- configuration and runs ------------------------------------------------------------------
def configure(
    env: pytest.MonkeyPatch, sim: RunningSimulator, folder: Path, **settings: Any
) -> Path:
    """Point the source at `sim` through the environment; returns the token cache path.

    Fast by default: the simulator sends no RateLimit headers and the client may send 1000/s.
    OAuth settings inherited from the caller's environment are cleared.
    """
    for name in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "LISTS_API"):
        env.delenv(ENV + name, raising=False)
    cache = folder / "nb_tokens.json"
    values = {
        "base_url": sim.nationbuilder_url,
        "access_token": NB_TOKEN,
        "rate_per_second": 1000,
        "burst": 100,
        "token_cache": cache,
        **settings,
    }
    for name, value in values.items():
        env.setenv(ENV + name.upper(), str(value))
    return cache


def run_nb(
    warehouse: Path,
    *,
    full_refresh: bool = False,
    registry: CredentialRegistry | None = None,
    ok: bool | None = True,
) -> SourceRun:
    """One `run_sources(["nationbuilder"], ...)`, holding the file as a run does; by default it
    must succeed."""
    with hold_file(warehouse, 0):
        (result,) = run_sources(
            ["nationbuilder"], warehouse, full_refresh=full_refresh, registry=registry
        )
    if ok is not None:
        assert result.ok is ok, result.error
    return result


def resource_cursors(warehouse: Path) -> dict[str, Any]:
    """Each NB resource's saved cursor, read from dlt's local state file."""
    state_file = pipeline_folder(warehouse, "nationbuilder") / "state.json"
    state = json.loads(state_file.read_text())
    resources = state.get("sources", {}).get(SCHEMA, {}).get("resources", {})
    return {name: value.get("cursor") for name, value in resources.items()}


# ---- reading the warehouse -------------------------------------------------------------------
def column_types(warehouse: Path, table: str) -> dict[str, str]:
    rows = query(
        warehouse,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    )
    return {name: kind for name, kind in rows}


def live_filter(warehouse: Path, table: str) -> str:
    return "where deleted_at is null" if "deleted_at" in column_types(warehouse, table) else ""


def live_ids(warehouse: Path, table: str) -> list[int]:
    where = live_filter(warehouse, table)
    return [
        row[0] for row in query(warehouse, f"select id from {SCHEMA}.{table} {where} order by 1")
    ]


def live_pairs(warehouse: Path, *, live_signups_only: bool = True) -> list[tuple[int, int]]:
    """list_signups pairs not marked deleted (by default: of signups not marked deleted)."""
    signup_filter = (
        f"and signup_id in (select id from {SCHEMA}.signups where deleted_at is null)"
        if live_signups_only
        else ""
    )
    rows = query(
        warehouse,
        f"select list_id, signup_id from {SCHEMA}.list_signups "
        f"where deleted_at is null {signup_filter} order by 1, 2",
    )
    return [(int(a), int(b)) for a, b in rows]


def mismatches(warehouse: Path, expected: dict[str, Any]) -> dict[str, Any]:
    """Where the raw tables differ from the simulator's truth; empty when they are equal.

    Per collection: live ids (deleted_at null) must equal the truth's ids, with no duplicates;
    donations must add up to the truth's cents; live list_signups pairs of live signups must
    equal the truth's pairs.
    """
    with kept_open(warehouse):
        return _mismatches(warehouse, expected)


def _mismatches(warehouse: Path, expected: dict[str, Any]) -> dict[str, Any]:
    wrong: dict[str, Any] = {}
    for table, want in expected.items():
        if table in ("deleted", "list_signups"):
            continue
        ids = live_ids(warehouse, table)
        if ids != want["ids"] or len(ids) != want["count"]:
            got, exp = set(ids), set(want["ids"])
            wrong[table] = {
                "loaded": len(ids),
                "expected": want["count"],
                "duplicates": len(ids) - len(got),
                "extra": sorted(got - exp)[:10],
                "missing": sorted(exp - got)[:10],
            }
    (cents,) = query(
        warehouse,
        f"select coalesce(sum(amount_in_cents), 0) from {SCHEMA}.donations "
        f"{live_filter(warehouse, 'donations')}",
    )[0]
    if cents != expected["donations"]["sum_cents"]:
        wrong["donations.sum_cents"] = (cents, expected["donations"]["sum_cents"])
    pairs = live_pairs(warehouse)
    want_pairs = [tuple(pair) for pair in expected["list_signups"]["pairs"]]
    if pairs != want_pairs:
        got, exp = set(pairs), set(want_pairs)
        wrong["list_signups"] = {
            "loaded": len(pairs),
            "expected": len(want_pairs),
            "extra": sorted(got - exp)[:10],
            "missing": sorted(exp - got)[:10],
        }
    return wrong


# ---- counting the client's requests ----------------------------------------------------------
@dataclass
class RequestLog:
    """Every URL the source's clients request (a trace hook on the aiohttp session)."""

    urls: list[URL] = field(default_factory=list)
    clients: CredentialRegistry | None = None

    def registry(self) -> CredentialRegistry:
        self.clients = CredentialRegistry(session_factory=self._session)
        return self.clients

    def bytes_received(self) -> int:
        assert self.clients is not None
        return sum(stats["bytes_received"] for stats in self.clients.stats())

    def _session(self, settings: ApiSettings) -> aiohttp.ClientSession:
        trace = aiohttp.TraceConfig()

        async def on_start(
            session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
        ) -> None:
            self.urls.append(params.url)

        trace.on_request_start.append(on_start)
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=settings.max_in_flight),
            timeout=aiohttp.ClientTimeout(
                total=settings.timeout,
                connect=settings.connect_timeout,
                sock_read=settings.read_timeout,
            ),
            headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
            cookie_jar=aiohttp.DummyCookieJar(),
            trace_configs=[trace],
        )

    def collection(self, name: str) -> list[URL]:
        return [url for url in self.urls if url.path.endswith(f"/api/v2/{name}")]

    def full_reads(self, name: str) -> int:
        """Pages of whole records (the incremental read), not the id-only deletion sweep."""
        return sum(1 for url in self.collection(name) if f"fields[{name}]" not in url.query)

    def id_reads(self, name: str) -> int:
        """Id-only requests: the deletion sweep's counts and listings."""
        return sum(1 for url in self.collection(name) if f"fields[{name}]" in url.query)


def id_listing_cost(rows: int, page_size: int = 100) -> int:
    """Requests to list `rows` ids once at 100 per page."""
    return math.ceil(rows / page_size)


# ---- runs and deletions ----------------------------------------------------------------------
def marked_ids(warehouse: Path, table: str) -> set[int]:
    rows = query(warehouse, f"select id from {SCHEMA}.{table} where deleted_at is not null")
    return {row[0] for row in rows}


def deleted_records(warehouse: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for resource, key in query(warehouse, f"select resource, id from {SCHEMA}.deleted_records"):
        found.setdefault(resource, set()).add(key)
    return found


def assert_deletions_marked(warehouse: Path, before: dict[str, Any], after: dict[str, Any]) -> int:
    """Rows that left the nation carry deleted_at and are listed in deleted_records."""
    records = deleted_records(warehouse)
    marked_total = 0
    for table, ids in after["deleted"].items():
        # Rows loaded before and gone since; one added and deleted in between never landed.
        gone = set(ids) & set(before[table]["ids"])
        assert marked_ids(warehouse, table) == gone, table
        assert records.get(table, set()) == {str(i) for i in gone}, table
        marked_total += len(gone)
    # Pairs that left a list while their signup stayed: marked too.
    live_signups = set(after["signups"]["ids"])
    left = {tuple(p) for p in before["list_signups"]["pairs"]} - {
        tuple(p) for p in after["list_signups"]["pairs"]
    }
    left_live = {(lid, sid) for lid, sid in left if sid in live_signups}
    assert left_live, "the mutation took members off lists"
    marked_pairs = {
        (int(a), int(b))
        for a, b in query(
            warehouse,
            f"select list_id, signup_id from {SCHEMA}.list_signups where deleted_at is not null",
        )
    }
    assert left_live <= marked_pairs
    assert {f"{a}:{b}" for a, b in left_live} <= records["list_signups"]
    assert marked_pairs <= left, "only pairs that left a list are marked"
    return marked_total + len(marked_pairs)


def first_run(sim: RunningSimulator, warehouse: Path) -> tuple[int, RequestLog]:
    log = RequestLog()
    reset_stats(sim)
    run_nb(warehouse, registry=log.registry())
    return nb_requests(sim), log
