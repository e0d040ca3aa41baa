"""Run `civic-etl` as a user would: a subprocess with the simulator's URLs in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from simulator.server import RunningSimulator

REPO = Path(__file__).resolve().parents[2]


def cli_env(sim: RunningSimulator, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    env.update(
        {
            "SOURCES__NATIONBUILDER__BASE_URL": sim.nationbuilder_url,
            "SOURCES__NATIONBUILDER__ACCESS_TOKEN": sim.config.nb_token,
            "SOURCES__NATIONBUILDER__RATE_PER_SECOND": "500",
            "SOURCES__ACTION_NETWORK__BASE_URL": sim.action_network_url,
            "SOURCES__ACTION_NETWORK__API_KEY": sim.config.an_keys[0],
            "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": "500",
        }
    )
    env.update(extra)
    return env


def civic_etl(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=kwargs.pop("timeout", 300),
        **kwargs,
    )


def start_civic_etl(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
