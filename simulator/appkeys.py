"""Typed keys for the state the root app shares with the two API sub-apps."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from simulator.guards import Limits, NationAuth, Stats
    from simulator.settings import SimConfig
    from simulator.store import Store

CONFIG: web.AppKey[SimConfig] = web.AppKey("config")
STORE: web.AppKey[Store] = web.AppKey("store")
STATS: web.AppKey[Stats] = web.AppKey("stats")
AUTH: web.AppKey[NationAuth] = web.AppKey("auth")
LIMITS: web.AppKey[Limits] = web.AppKey("limits")
PREFIX: web.AppKey[str] = web.AppKey("prefix", str)
FAULT_RNG: web.AppKey[random.Random] = web.AppKey("fault_rng", random.Random)
