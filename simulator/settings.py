"""Knobs of the API simulator: population sizes, latency, rate limits, faults, auth."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from simulator.bad_input import normalize as normalize_bad_input

FAULT_KINDS = ("http_500", "http_502", "http_503", "reset", "truncate", "stall")
APIS = ("nationbuilder", "action_network")


@dataclass
class SimConfig:
    """Everything a test or the demo can turn; changeable at runtime through `/_sim/config`."""

    seed: int = 1
    # population
    nb_signups: int = 2_000
    nb_donations: int = 800
    nb_lists: int = 30
    an_people: int = 1_000
    an_actions: int = 2_500
    an_timestamps: str = "live"  # "live": created_date/modified_date; "doc": created_at/modified_at
    # auth
    nb_token: str = "nb-test-token"
    nb_client_id: str = "sim-client"
    nb_client_secret: str = "sim-secret"
    nb_refresh_token: str = "nb-refresh-token"
    nb_token_ttl_seconds: float | None = None
    nb_token_ttl_requests: int | None = None
    an_keys: list[str] = field(default_factory=lambda: ["an-test-key"])
    # speed and limits
    latency_ms: float = 0.0
    an_deep_page_ms: float = 0.0  # extra latency per AN page number (deep pages are slow live)
    rate_limits: bool = True
    nb_rate_limit: int = 250
    nb_rate_window_s: float = 10.0
    an_rate_per_s: float = 4.0
    an_burst: int = 4
    # faults: probability per API request of each kind
    faults: dict[str, float] = field(default_factory=dict)
    stall_seconds: float = 5.0
    fault_retry_after: float | None = None  # seconds a 5xx fault asks to wait (Retry-After)
    # APIs whose answers wait until taken off this list: a test holds a run mid-extract for as
    # long as a busy machine needs to start the process that must meet it there
    held: list[str] = field(default_factory=list)
    # bad input: spoiled pages, see simulator/bad_input.py
    bad_input: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bad_input = normalize_bad_input(self.bad_input)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, rejecting unknown knobs so a typo in a test fails loudly."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown simulator settings: {sorted(unknown)}")
        bad_faults = set(changes.get("faults", {})) - set(FAULT_KINDS)
        if bad_faults:
            raise ValueError(f"unknown fault kinds: {sorted(bad_faults)}")
        bad_held = set(changes.get("held", [])) - set(APIS)
        if bad_held:
            raise ValueError(f"unknown APIs to hold: {sorted(bad_held)}")
        if "bad_input" in changes:
            changes = {**changes, "bad_input": normalize_bad_input(changes["bad_input"])}
        for key, value in changes.items():
            setattr(self, key, value)

    def public(self) -> dict[str, Any]:
        """The settings as JSON, secrets included: this is a local test server."""
        return asdict(self)
