"""Both APIs failing as real ones do (5xx, 429s, resets, cut bodies, stalls): `civic-etl run`
still lands exactly the truth, night after night, with no row lost or doubled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from simulator.settings import FAULT_KINDS
from tests.support.cli import cli_env, run_cli
from tests.support.nights import night_simulator
from tests.support.simulator import control
from tests.support.warehouse import assert_matches_truth

# Per request and kind; about one request in five fails once, some fail several times.
FAULTS = {
    "http_500": 0.04,
    "http_502": 0.04,
    "http_503": 0.04,
    "reset": 0.04,
    "truncate": 0.04,
    "stall": 0.03,
}
# Small windows, so the client meets the limits; AN's client asks a little faster than allowed.
LIMITS = {"rate_limits": True, "nb_rate_limit": 40, "nb_rate_window_s": 1.0}
LIMITS |= {"an_rate_per_s": 50.0, "an_burst": 2}
# A stall outlasts Action Network's read timeout (it is retried); NationBuilder waits it out.
STALL = {"stall_seconds": 1.0}
CLIENT = {
    "SOURCES__ACTION_NETWORK__READ_TIMEOUT": "0.5",
    "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "50",
}


def nights_with_faults(
    tmp_path: Path, nights: int, faults: dict[str, float], **settings: Any
) -> dict[str, Any]:
    """Run `nights` nights (a day of changes between them), each checked against the truth;
    the simulator's counters at the end."""
    with night_simulator(faults=faults, **STALL, **LIMITS, **settings) as sim:
        env = cli_env(sim, tmp_path, **CLIENT)
        warehouse = tmp_path / "w.duckdb"
        for night in range(nights):
            if night:
                control(sim, "/_sim/mutate", {"fraction": 0.05})
            result = run_cli("run", "--warehouse", str(warehouse), env=env)
            assert result.returncode == 0, result.stderr[-3000:]
            assert_matches_truth(warehouse, sim)
        stats: dict[str, Any] = control(sim, "/_sim/stats")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select sum(retries) from civic_etl.run_resources").fetchone()
    stats["client_retries"] = int(row[0]) if row and row[0] else 0
    return stats


def test_two_nights_of_faults_and_429s_land_exactly_the_truth(tmp_path: Path) -> None:
    stats = nights_with_faults(tmp_path, 2, FAULTS)
    injected = {key.split(":", 1)[1] for key in stats["faults"]}
    assert injected == set(FAULT_KINDS), "every kind of fault was met"
    assert {key.split(":", 1)[0] for key in stats["faults"]} == {
        "nationbuilder",
        "action_network",
    }
    assert sum(stats["throttled"].values()) > 0, "some 429s were met"
    assert stats["client_retries"] >= sum(stats["faults"].values()) // 2


@pytest.mark.slow
def test_five_nights_of_heavy_faults_land_exactly_the_truth(tmp_path: Path) -> None:
    heavy = {kind: rate * 2 for kind, rate in FAULTS.items()}
    stats = nights_with_faults(
        tmp_path, 5, heavy, nb_signups=1_500, nb_donations=600, an_people=500, an_actions=1_200
    )
    assert sum(stats["faults"].values()) > 200
