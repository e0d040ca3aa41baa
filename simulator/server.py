"""The simulator as a real aiohttp server on loopback: in this process (a thread) or a command."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator import an_api, nb_api
from simulator.appkeys import AUTH, CONFIG, FAULT_RNG, LIMITS, PREFIX, STATS, STORE
from simulator.guards import Limits, NationAuth, Stats, guard
from simulator.settings import SimConfig
from simulator.store import Store

NB_PREFIX, AN_PREFIX = "/nationbuilder", "/action_network"


def build_app(config: SimConfig) -> web.Application:
    """One root app with the two APIs mounted under their own prefixes and `/_sim/` for control."""
    root = web.Application()
    root[CONFIG] = config
    root[STORE] = Store(config)
    root[STATS] = Stats()
    root[AUTH] = NationAuth(config)
    root[LIMITS] = Limits(config)
    for prefix, api, module in (
        (NB_PREFIX, "nationbuilder", nb_api),
        (AN_PREFIX, "action_network", an_api),
    ):
        sub = web.Application(middlewares=[guard(api)])
        sub[PREFIX] = prefix
        sub[FAULT_RNG] = random.Random(config.seed)
        module.add_routes(sub)
        root.add_subapp(prefix, sub)
    _share_state(root)
    root.router.add_get("/_sim/truth", truth)
    root.router.add_post("/_sim/mutate", mutate)
    root.router.add_get("/_sim/stats", stats)
    root.router.add_post("/_sim/stats/reset", reset_stats)
    root.router.add_get("/_sim/config", get_config)
    root.router.add_post("/_sim/config", set_config)
    root.router.add_post("/_sim/reset", reset)
    return root


def _share_state(root: web.Application) -> None:
    """Sub-apps read the root's state; aiohttp freezes sub-apps, so keep a mutable holder."""
    for resource in root.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is not None:
            sub[CONFIG], sub[STORE], sub[STATS] = root[CONFIG], root[STORE], root[STATS]
            sub[AUTH], sub[LIMITS] = root[AUTH], root[LIMITS]


async def truth(request: web.Request) -> web.Response:
    return web.json_response(request.app[STORE].truth())


async def mutate(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    fraction = float(body.get("fraction", 0.05))
    delete_fraction = body.get("delete_fraction")
    changes = request.app[STORE].mutate(
        fraction, None if delete_fraction is None else float(delete_fraction)
    )
    return web.json_response(changes)


async def stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATS].as_dict())


async def reset_stats(request: web.Request) -> web.Response:
    request.app[STATS].reset()
    return web.json_response({"ok": True})


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONFIG].public())


async def set_config(request: web.Request) -> web.Response:
    try:
        request.app[CONFIG].update(await request.json())
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(request.app[CONFIG].public())


async def reset(request: web.Request) -> web.Response:
    """Regenerate the population from the (possibly changed) settings: a clean slate for a test."""
    config: SimConfig = request.app[CONFIG]
    if request.can_read_body:
        try:
            config.update(await request.json())
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
    store = await asyncio.get_running_loop().run_in_executor(None, Store, config)
    request.app[STORE].__dict__.update(store.__dict__)
    auth = NationAuth(config)
    request.app[AUTH].__dict__.update(auth.__dict__)
    request.app[LIMITS].__dict__.update(Limits(config).__dict__)
    return web.json_response({"ok": True})


@dataclass
class RunningSimulator:
    """Where a started simulator listens, and the base URLs a client configures."""

    host: str
    port: int
    config: SimConfig

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def nationbuilder_url(self) -> str:
        return self.url + NB_PREFIX

    @property
    def action_network_url(self) -> str:
        return self.url + AN_PREFIX + "/api/v2"


async def start(
    config: SimConfig, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(build_app(config), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, int(bound)


@contextmanager
def serve_in_thread(
    config: SimConfig | None = None, **overrides: Any
) -> Iterator[RunningSimulator]:
    """Run the simulator on its own event loop in a daemon thread for the duration of a block."""
    config = config or SimConfig()
    config.update(overrides)
    loop = asyncio.new_event_loop()
    ready: dict[str, Any] = {}
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            ready["runner"], ready["port"] = loop.run_until_complete(start(config))
        except BaseException as exc:  # surface start-up failures to the caller's thread
            ready["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="api-simulator", daemon=True)
    thread.start()
    started.wait()
    if "error" in ready:
        raise ready["error"]
    try:
        yield RunningSimulator("127.0.0.1", ready["port"], config)
    finally:
        asyncio.run_coroutine_threadsafe(ready["runner"].cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def run_forever(config: SimConfig, host: str, port: int) -> None:
    """The `civic-etl simulate` command: serve until interrupted."""

    async def main() -> None:
        runner, bound = await start(config, host, port)
        print(f"simulator: NationBuilder at http://{host}:{bound}{NB_PREFIX}", flush=True)
        print(f"simulator: Action Network at http://{host}:{bound}{AN_PREFIX}/api/v2", flush=True)
        print(
            f"simulator: control at http://{host}:{bound}/_sim/ (truth, mutate, stats, config)",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
