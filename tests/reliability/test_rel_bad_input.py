"""Bad pages from either API: each one loads exactly, or stops the run with one line naming the
resource, the page and the problem; none drops a row without a word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from simulator.bad_input import HUGE_LENGTH, ODD_TEXT
from tests.support.cli import assert_one_clear_line, cli_env, run_cli
from tests.support.nights import FirstNight, night_simulator
from tests.support.simulator import configure, control, truth
from tests.support.warehouse import assert_matches_truth, compare, local_cursors

NB, AN = "nationbuilder", "action_network"


def spec(kind: str, api: str, path: str, page: int | None = None, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "api": api, "path_contains": path, "page": page, **more}


# Readable oddities, one page each; all of them go into one run.
READABLE = [
    spec("unknown_fields", NB, "/api/v2/signups", 1),
    spec("unknown_fields", AN, "/people", 1),
    spec("huge_string", NB, "/api/v2/signups", 2),
    spec("huge_string", AN, "/people", 2),
    spec("odd_unicode", NB, "/api/v2/signups", 3),
    spec("odd_unicode", AN, "/people", 3),
    spec("coercible_types", NB, "/api/v2/donations", 1),
    spec("coercible_types", AN, "/donations"),
    spec("overlap_page", NB, "/api/v2/signups", 4),
    spec("overlap_page", AN, "/people", 4),
    spec("malformed_json", NB, "/api/v2/signups", 5, times=2),
    spec("malformed_json", AN, "/people", 5, times=2),
]
# Unreadable pages: what the run's one error line must say about each source.
PROBLEMS = {
    "missing_id": ("a record without an id", "no identifiers"),
    "wrong_type": ("column updated_at: not a timestamp", "column modified_at: not a timestamp"),
    "repeat_page": ("same records as an earlier page", "same records as an earlier page"),
    "empty_page": ("no records, yet it links a next page", "no records, yet page 3 has some"),
}


def unreadable(kind: str, page: int = 2) -> list[dict[str, Any]]:
    return [spec(kind, NB, "/api/v2/signups", page), spec(kind, AN, "/people", page)]


def expected_line(kind: str, page: int = 2) -> tuple[str, ...]:
    nb_problem, an_problem = PROBLEMS[kind]
    code = "pagination_loop" if kind == "repeat_page" else "malformed_page"
    return (
        f"{NB}: GET /api/v2/signups -> {code}: page {page}: ",
        nb_problem,
        f"{AN}: GET people -> {code}: page {page}: ",
        an_problem,
    )


def one(warehouse: Path, sql: str, params: list[Any] | None = None) -> Any:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None


def test_readable_oddities_load_exactly(tmp_path: Path) -> None:
    """New fields, huge and odd strings, numbers as text, an overlapping page and bodies that
    are HTML twice before they are JSON: every row lands once, every value as it was sent."""
    with night_simulator(bad_input=READABLE) as sim:
        warehouse = tmp_path / "w.duckdb"
        result = run_cli("run", "--warehouse", str(warehouse), env=cli_env(sim, tmp_path))
        assert result.returncode == 0, result.stderr[-3000:]
        assert_matches_truth(warehouse, sim)
        applied = control(sim, "/_sim/stats")["bad_input"]
    assert set(applied) == {f"{s['api']}:{s['kind']}" for s in READABLE}
    for table, name in (
        ("nationbuilder.signups", "first_name"),
        ("action_network.people", "given_name"),
    ):
        assert (
            one(warehouse, f"select count(*) from {table} where length({name}) = ?", [HUGE_LENGTH])
            == 1
        )
        assert one(warehouse, f"select count(*) from {table} where {name} = ?", [ODD_TEXT]) == 1
        new = "brand_new_field, new_nested_field, new_flag, new_count"
        assert (
            one(
                warehouse,
                f"select count(*) from (select {new} from {table}) where new_flag = 'true'",
            )
            > 0
        )


@pytest.mark.parametrize("kind", sorted(PROBLEMS))
def test_an_unreadable_page_stops_the_run_naming_resource_page_and_problem(
    kind: str, tmp_path: Path
) -> None:
    with night_simulator(bad_input=unreadable(kind)) as sim:
        warehouse = tmp_path / "w.duckdb"
        result = run_cli("run", "--warehouse", str(warehouse), env=cli_env(sim, tmp_path))
    assert_one_clear_line(result, 1, *expected_line(kind))
    landed = one(
        warehouse,
        "select count(*) from information_schema.tables where table_schema in (?, ?)",
        [NB, AN],
    )
    assert landed == 0, "nothing of a source that failed is loaded"


def test_an_empty_page_on_a_later_night_fails_it_and_the_next_night_loses_nothing(
    first_night: FirstNight, tmp_path: Path
) -> None:
    """The dangerous one: taken for the end of the collection, an empty page would drop every
    later row and move the cursor past them for good."""
    warehouse = first_night.second_night(tmp_path, fraction=0.3)
    cursors = {api: local_cursors(warehouse, api) for api in (NB, AN)}
    configure(first_night.sim, bad_input=unreadable("empty_page"))
    failed = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert_one_clear_line(failed, 1, *expected_line("empty_page"))
    assert {api: local_cursors(warehouse, api) for api in (NB, AN)} == cursors
    configure(first_night.sim, bad_input=[])
    next_night = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert next_night.returncode == 0, next_night.stderr[-3000:]
    assert_matches_truth(warehouse, first_night.sim)


def test_an_empty_page_in_the_deletion_sweep_marks_no_live_row_deleted(
    first_night: FirstNight, tmp_path: Path
) -> None:
    warehouse = first_night.second_night(tmp_path)
    sweep = spec("empty_page", NB, "/api/v2/signups", query_contains="filter[id][gte]")
    configure(first_night.sim, bad_input=[sweep])
    result = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    applied = control(first_night.sim, "/_sim/stats")["bad_input"]
    configure(first_night.sim, bad_input=[])
    assert applied, "the sweep met the empty page"
    if result.returncode == 0:
        assert compare(warehouse, truth(first_night.sim)).rows_lost == 0
    else:
        assert_one_clear_line(result, 1, "signups", "page")


@pytest.mark.slow
@pytest.mark.parametrize("api", (NB, AN))
@pytest.mark.parametrize("kind", sorted(PROBLEMS))
def test_each_unreadable_page_on_a_later_night_then_recovery(
    first_night: FirstNight, kind: str, api: str, tmp_path: Path
) -> None:
    warehouse = first_night.second_night(tmp_path, fraction=0.3)
    cursors = local_cursors(warehouse, api)
    bad = [s for s in unreadable(kind) if s["api"] == api]
    configure(first_night.sim, bad_input=bad)
    failed = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    line = expected_line(kind)
    assert_one_clear_line(failed, 1, *(line[:2] if api == NB else line[2:]))
    assert local_cursors(warehouse, api) == cursors
    configure(first_night.sim, bad_input=[])
    next_night = run_cli("run", "--warehouse", str(warehouse), env=first_night.env)
    assert next_night.returncode == 0, next_night.stderr[-3000:]
    assert_matches_truth(warehouse, first_night.sim)


@pytest.mark.slow
def test_bodies_that_never_parse_fail_after_the_retries_naming_page_and_parser_error(
    tmp_path: Path,
) -> None:
    """A 200 that is HTML, or JSON with an unpaired surrogate, on every attempt."""
    bad = [
        spec("malformed_json", NB, "/api/v2/signups", 2),
        spec("lone_surrogate", AN, "/people", 2),
    ]
    with night_simulator(bad_input=bad) as sim:
        warehouse = tmp_path / "w.duckdb"
        result = run_cli("run", "--warehouse", str(warehouse), env=cli_env(sim, tmp_path))
    assert_one_clear_line(
        result,
        1,
        "/api/v2/signups?",
        "page[number]=2",
        "unexpected character",
        "/people?",
        "page=2",
        "surrogate",
        "gave up after 8 attempts",
    )
