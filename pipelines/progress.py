"""Progress of a long run: a live line on a terminal, plain or JSON log lines otherwise."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from typing import TextIO

from sources.http import CredentialRegistry


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
        rows = self.snapshot()
        if not rows:
            return
        elapsed = time.monotonic() - self._started
        if self.log_format == "json":
            self.stream.write(
                json.dumps({"event": "progress", "elapsed_s": round(elapsed, 1), "resources": rows})
                + "\n"
            )
        elif self.live:
            self.stream.write("\r\033[K" + self._live_line(rows, elapsed))
        else:
            for r in rows:
                self.stream.write(
                    f"progress {elapsed:.0f}s {r['api']}.{r['resource']}: {r['records']} records, "
                    f"{r['requests']} requests, {r['retries']} retries, {r['responses_429']} 429s, "
                    f"{r['wait_s']}s waiting on the rate limit\n"
                )
        self.stream.flush()

    def _live_line(self, rows: list[dict[str, object]], elapsed: float) -> str:
        """Totals per API, then the resources that moved since the last line: what is running."""
        totals: dict[str, list[int]] = {}
        moving = []
        for r in rows:
            api, requests = str(r["api"]), int(str(r["requests"]))
            total = totals.setdefault(api, [0, 0])
            total[0] += int(str(r["records"]))
            total[1] += requests
            if requests != self._last_requests.get((api, str(r["resource"]))):
                moving.append(str(r["resource"]))
            self._last_requests[(api, str(r["resource"]))] = requests
        parts = [f"{api} {rec} records/{req} requests" for api, (rec, req) in totals.items()]
        line = f"[{elapsed:5.0f}s] " + " | ".join(parts)
        if moving:
            line += " | now: " + ", ".join(moving[:4])
        width = shutil.get_terminal_size((120, 20)).columns
        return line[: max(40, width - 1)]
