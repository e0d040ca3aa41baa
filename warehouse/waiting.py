"""Waiting, bounded, for something another process holds: the DuckDB file, a warehouse lock.

A nightly run that meets a busy warehouse should neither fail at once (an analyst's session
closes in a minute) nor hang forever (a notebook left open all night). It tries again until
`CIVIC_ETL_WAREHOUSE_WAIT` seconds have passed, saying every so often who it waits for.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TypeVar

from warehouse.location import WarehouseError

WAIT_ENV_VAR = "CIVIC_ETL_WAREHOUSE_WAIT"
DEFAULT_WAIT_SECONDS = 300.0
# A progress line at once, then at this interval: enough to see in a log that it is waiting.
PROGRESS_EVERY_SECONDS = 15.0
POLL_SECONDS = 0.25

log = logging.getLogger(__name__)
T = TypeVar("T")


def wait_seconds() -> float:
    """How long a run waits for a busy warehouse: `CIVIC_ETL_WAREHOUSE_WAIT`, default 300."""
    text = os.environ.get(WAIT_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise WarehouseError(f"{WAIT_ENV_VAR} must be seconds (0 or more), got {text!r}")
    return seconds


def wait_for(
    attempt: Callable[[], T | None],
    waiting_for: Callable[[], str],
    seconds: float,
) -> tuple[T | None, str]:
    """Calls `attempt` until it returns something or `seconds` have passed.

    Returns what it got, or None and the last description of the holder (for the caller's
    one-line error). `waiting_for()` says who holds it; it is logged at once and then every
    PROGRESS_EVERY_SECONDS, so a log shows what a quiet run waits for.
    """
    got = attempt()
    if got is not None:
        return got, ""
    started = time.monotonic()
    holder = waiting_for()
    next_line = started
    while True:
        now = time.monotonic()
        if now >= next_line:
            log.warning(
                f"waiting for the warehouse: {holder} "
                f"(waited {now - started:.0f}s of {seconds:.0f}s, {WAIT_ENV_VAR})"
            )
            next_line = now + PROGRESS_EVERY_SECONDS
        if now - started >= seconds:
            return None, holder
        time.sleep(min(POLL_SECONDS, max(seconds - (now - started), 0.01)))
        got = attempt()
        if got is not None:
            return got, ""
        holder = waiting_for() or holder
