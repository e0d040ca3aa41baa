"""Several nations and groups in one run: concurrent, each under its own limiter, kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.cli import Result, cli_env, run_cli
from tests.support.simulator import stats, truth
from tests.support.warehouse import live_count

# Rate limits on, with latency: each account alone takes a few seconds, set by its own limit,
# long enough that accounts started together overlap even on a busy machine.
NB = {"nb_signups": 900, "nb_donations": 300, "an_people": 10, "an_actions": 10}
AN = {"nb_signups": 10, "nb_donations": 5, "an_people": 150, "an_actions": 350}
LIMITS = {
    "latency_ms": 20,
    "nb_rate_limit": 15,
    "nb_rate_window_s": 1.0,
    "an_rate_per_s": 12.0,
    "an_burst": 4,
}
NB_ACCOUNTS = {"north": 11, "south": 12}
AN_ACCOUNTS = {"east": 13, "west": 14, "central": 15}


@dataclass
class Federation:
    """Five simulators (one per account, distinct populations) and one run over all of them."""

    sims: dict[str, RunningSimulator]
    env: dict[str, str]
    warehouse: Path
    result: Result
    summary: dict[str, Any]
    arrivals: dict[str, tuple[float, float]]  # account: the server's first and last arrival


def accounts_env(sims: dict[str, RunningSimulator], **extra: str) -> dict[str, str]:
    any_sim = next(iter(sims.values()))
    env = cli_env(any_sim)
    for key in [k for k in env if k.startswith("SOURCES__")]:
        del env[key]
    env.update(
        {
            "SOURCES__NATIONBUILDER__ACCOUNTS": ",".join(NB_ACCOUNTS),
            "SOURCES__NATIONBUILDER__RATE_PER_SECOND": "12",
            "SOURCES__NATIONBUILDER__BURST": "2",
            "SOURCES__ACTION_NETWORK__ACCOUNTS": ",".join(AN_ACCOUNTS),
            "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "11",
        }
    )
    for name in NB_ACCOUNTS:
        prefix = f"SOURCES__NATIONBUILDER__ACCOUNTS__{name.upper()}__"
        env[prefix + "BASE_URL"] = sims[name].nationbuilder_url
        env[prefix + "ACCESS_TOKEN"] = sims[name].config.nb_token
    for name in AN_ACCOUNTS:
        prefix = f"SOURCES__ACTION_NETWORK__ACCOUNTS__{name.upper()}__"
        env[prefix + "BASE_URL"] = sims[name].action_network_url
        env[prefix + "API_KEY"] = sims[name].config.an_keys[0]
    env.update(extra)
    return env


def run_json(env: dict[str, str], warehouse: Path, *args: str) -> tuple[Result, dict]:
    result = run_cli("run", "--warehouse", str(warehouse), "--log-format", "json", *args, env=env)
    events = result.json_lines()
    return result, events[-1] if events else {}


def arrivals(sim: RunningSimulator) -> tuple[float, float]:
    """When the simulator saw its first and its last request, on the server's clock."""
    seen = stats(sim)
    return min(seen["first_arrival"].values()), max(seen["last_arrival"].values())


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with ExitStack() as stack:
        sims: dict[str, RunningSimulator] = {}
        for name, seed in NB_ACCOUNTS.items():
            config = SimConfig(seed=seed, nb_token=f"nb-{name}-token", **NB, **LIMITS)
            sims[name] = stack.enter_context(serve_in_thread(config))
        for name, seed in AN_ACCOUNTS.items():
            config = SimConfig(seed=seed, an_keys=[f"an-{name}-key"], **AN, **LIMITS)
            sims[name] = stack.enter_context(serve_in_thread(config))
        env = accounts_env(sims)
        warehouse = tmp_path_factory.mktemp("federation") / "civic.duckdb"
        result, summary = run_json(env, warehouse)
        seen = {name: arrivals(sim) for name, sim in sims.items()}
        yield Federation(sims, env, warehouse, result, summary, seen)


def test_every_account_lands_and_succeeds(federation: Federation) -> None:
    assert federation.result.returncode == 0, federation.result.stderr
    accounts = {line["account"]: line["ok"] for line in federation.summary["accounts"]}
    assert accounts == {
        **{f"nationbuilder:{name}": True for name in NB_ACCOUNTS},
        **{f"action_network:{name}": True for name in AN_ACCOUNTS},
    }


def test_each_account_equals_its_simulators_truth(federation: Federation) -> None:
    compared = 0
    with duckdb.connect(str(federation.warehouse), read_only=True) as con:
        for source, names in (("nationbuilder", NB_ACCOUNTS), ("action_network", AN_ACCOUNTS)):
            for name in names:
                expected = truth(federation.sims[name])[source]
                for table in ("signups", "donations", "people", "signatures", "event_rsvps"):
                    if table not in expected:
                        continue
                    found = live_count(con, f"{source}_account_{name}", table)
                    assert found == expected[table]["count"], (name, table)
                    compared += 1
                tagged = con.execute(
                    f"select distinct account from {source}_account_{name}."
                    f"{'signups' if source == 'nationbuilder' else 'people'}"
                ).fetchall()
                assert tagged == [(name,)]
    assert compared >= 10


def test_marts_span_every_account(federation: Federation) -> None:
    truths = {name: truth(sim)["analytics"] for name, sim in federation.sims.items()}
    nb_donations = sum(truths[n]["donations_count"]["nationbuilder"] for n in NB_ACCOUNTS)
    an_donations = sum(truths[n]["donations_count"]["action_network"] for n in AN_ACCOUNTS)
    nb_rsvps = sum(truths[n]["actions"]["event_rsvp"] for n in NB_ACCOUNTS)
    an_signatures = sum(truths[n]["actions"]["signature"] for n in AN_ACCOUNTS)
    with duckdb.connect(str(federation.warehouse), read_only=True) as con:
        donations = dict(
            con.execute("select source, count(*) from analytics.donations group by 1").fetchall()
        )
        actions = dict(
            con.execute("select action_type, count(*) from analytics.actions group by 1").fetchall()
        )
        nations = con.execute(
            "select distinct nationbuilder_account from analytics.people "
            "where nationbuilder_account is not null order by 1"
        ).fetchall()
    assert donations == {"nationbuilder": nb_donations, "action_network": an_donations}
    assert actions["event_rsvp"] == nb_rsvps and actions["signature"] == an_signatures
    assert nations == [(name,) for name in sorted(NB_ACCOUNTS)]


def test_every_account_is_extracted_at_once_not_one_after_another(
    federation: Federation,
) -> None:
    """Each account's server saw its first request before any other's saw its last one: the
    five extracts overlapped. (How long that takes against one account alone: `make bench`.)"""
    latest_start = max(first for first, _ in federation.arrivals.values())
    earliest_end = min(last for _, last in federation.arrivals.values())
    assert latest_start < earliest_end, federation.arrivals


def test_a_failing_account_is_reported_and_the_others_land(
    federation: Federation, tmp_path: Path
) -> None:
    env = dict(federation.env)
    env["SOURCES__NATIONBUILDER__ACCOUNTS"] = "north,broken"
    env["SOURCES__NATIONBUILDER__ACCOUNTS__BROKEN__BASE_URL"] = federation.sims[
        "south"
    ].nationbuilder_url
    env["SOURCES__NATIONBUILDER__ACCOUNTS__BROKEN__ACCESS_TOKEN"] = "not-the-token"
    env["SOURCES__ACTION_NETWORK__ACCOUNTS"] = "east"
    warehouse = tmp_path / "w.duckdb"
    result, summary = run_json(env, warehouse)
    assert result.returncode == 1
    errors = result.json_lines("stderr")
    assert "nationbuilder:broken" in errors[-1]["message"] and "401" in errors[-1]["message"]
    assert "not-the-token" not in result.stdout + result.stderr
    ok = {line["account"]: line["ok"] for line in summary["accounts"]}
    assert ok == {
        "nationbuilder:north": True,
        "nationbuilder:broken": False,
        "action_network:east": True,
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        north = live_count(con, "nationbuilder_account_north", "signups")
        east = live_count(con, "action_network_account_east", "people")
        built = con.execute("select count(*) from analytics.people").fetchone()
    assert north == truth(federation.sims["north"])["nationbuilder"]["signups"]["count"]
    assert east == truth(federation.sims["east"])["action_network"]["people"]["count"]
    assert built is not None and built[0] > 0
