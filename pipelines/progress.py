"""Progress of a long run: a live line on a terminal, plain or JSON log lines otherwise."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from typing import TextIO

from sources.http import CredentialRegistry

# The counters a progress line adds up per API.
SUMMED = ("records", "requests", "retries", "responses_429")


class Progress:
    """Reads the HTTP counters every few seconds and reports pages, records and limiter waits."""

    def __init__(
        self, registry: CredentialRegistry, log_format: str = "text", stream: TextIO | None = None
    ):
        self.registry = registry
        self.log_format = log_format
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() and log_format == "text"
        self.interval = 1.0 if self.live else 15.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._started = time.monotonic()
        self._last_requests: dict[tuple[str, str], int] = {}

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def snapshot(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for credential in self.registry.credentials():
            for name, counters in sorted(credential.stats.resources.items()):
                rows.append(
                    {
                        "api": credential.stats.api,
                        "resource": name,
                        "requests": counters.requests,
                        "records": counters.records,
                        "retries": counters.retries,
                        "responses_429": counters.responses_429,
                        "wait_s": round(counters.limiter_wait_seconds, 1),
                    }
                )
        return rows

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.report()

    def report(self) -> None:
        """One line per tick: the totals per API, then the resources that moved since the last
        tick (the ones still running); finished resources are in the summary, not here."""
        rows = self.snapshot()
        if not rows:
            return
        elapsed = time.monotonic() - self._started
        totals, moving = self._totals_and_moving(rows)
        if self.log_format == "json":
            line = {"level": "info", "event": "progress", "elapsed_s": round(elapsed, 1)}
            line |= {"totals": totals, "moving": moving}
            self.stream.write(json.dumps(line) + "\n")
        else:
            text = self._text_line(totals, moving, elapsed)
            if self.live:
                width = shutil.get_terminal_size((120, 20)).columns
                self.stream.write("\r\033[K" + text[: max(40, width - 1)])
            else:
                self.stream.write(text + "\n")
        self.stream.flush()

    def _totals_and_moving(
        self, rows: list[dict[str, object]]
    ) -> tuple[dict[str, dict[str, int]], list[dict[str, object]]]:
        totals: dict[str, dict[str, int]] = {}
        moving = []
        for r in rows:
            api, resource = str(r["api"]), str(r["resource"])
            total = totals.setdefault(api, dict.fromkeys(SUMMED, 0))
            for name in SUMMED:
                total[name] += int(str(r[name]))
            requests = int(str(r["requests"]))
            if requests != self._last_requests.get((api, resource)):
                moving.append(r)
            self._last_requests[(api, resource)] = requests
        return totals, moving

    @staticmethod
    def _text_line(
        totals: dict[str, dict[str, int]], moving: list[dict[str, object]], elapsed: float
    ) -> str:
        parts = [
            f"{api} {t['records']} records/{t['requests']} requests"
            + (f"/{t['retries']} retries" if t["retries"] else "")
            + (f"/{t['responses_429']} 429s" if t["responses_429"] else "")
            for api, t in totals.items()
        ]
        line = f"progress [{elapsed:.0f}s] " + " | ".join(parts)
        if moving:
            line += " | now: " + ", ".join(f"{r['api']}.{r['resource']}" for r in moving)
        return line
