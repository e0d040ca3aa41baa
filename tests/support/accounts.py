"""Several accounts of one source, each its own simulator, as a user would configure them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.support.cli import cli_env


def nations_env(sims: dict[str, RunningSimulator], **extra: str) -> dict[str, str]:
    """NationBuilder accounts named after `sims`' keys, each pointing at its own simulator;
    Action Network left unconfigured."""
    env = cli_env(next(iter(sims.values())))
    for key in [k for k in env if k.startswith("SOURCES__")]:
        del env[key]
    env["SOURCES__NATIONBUILDER__ACCOUNTS"] = ",".join(sims)
    env["SOURCES__NATIONBUILDER__RATE_PER_SECOND"] = "500"
    for name, sim in sims.items():
        prefix = f"SOURCES__NATIONBUILDER__ACCOUNTS__{name.upper()}__"
        env[prefix + "BASE_URL"] = sim.nationbuilder_url
        env[prefix + "ACCESS_TOKEN"] = sim.config.nb_token
    env.update(extra)
    return env


@contextmanager
def nations(seeds: dict[str, int], **settings: Any) -> Iterator[dict[str, RunningSimulator]]:
    """One simulator per NationBuilder account, each with its own population (its seed)."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(
                serve_in_thread(SimConfig(seed=seed, nb_token=f"nb-{name}", **settings))
            )
            for name, seed in seeds.items()
        }
