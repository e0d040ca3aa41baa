"""Every log line the job writes, ours and dlt's, in one format: plain text or one JSON object.

A scheduler reading `--log-format json` must be able to parse every stderr line, so the retry
warnings of the HTTP layer and dlt's own notices go through the same handler as the run's
notes and errors. Lines go to whatever `sys.stderr` is when they are written, so a caller that
redirects it (a test running the CLI in-process) sees them too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

# Every Arrow page with a JSON column (declared a string in Arrow, `json` in dlt's schema) makes
# dlt warn that hints differ; that difference is intended, so one warning per page is noise.
EXPECTED_NOTICES = ("column hints were different",)
# The loggers of the job: dlt's, and the project's packages (named by their top-level package).
LOGGERS = ("dlt", "sources", "pipelines", "warehouse", "writeback")
# Structured fields a log call may pass in `extra=` (they become JSON keys, or stay in the text).
FIELDS = ("event", "source", "resource", "status", "attempt", "delay_s")


# dlt logs a load job that failed in a way it retries (DuckDB out of memory among them) as an
# error, and then a warning carrying the whole traceback. The run's own error line comes at the
# end if the retries do not help; until then it is a warning, and a traceback is one line.
RETRIED_JOB = "Transient exception in job "
TRACEBACK = "Traceback (most recent call last):"
# The unindented "module.Error: message" lines of a formatted traceback (the last is what was
# raised); an exception without a message is its name alone.
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(?:: .*|Error|Exception)$", re.MULTILINE)


def shorten_traceback(message: str) -> str:
    """A message with a formatted traceback in it, with the traceback replaced by the one line
    saying what was raised (without the lines of remedies DuckDB adds after it)."""
    head, found, trace = message.partition(TRACEBACK)
    if not found:
        return message
    raised = _RAISED.findall(trace)
    return f"{head}{raised[-1] if raised else 'an exception'}".strip()


class _DropExpectedNotices(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(notice in message for notice in EXPECTED_NOTICES)


class _OneLineRetries(logging.Filter):
    """dlt's notices of a load job it retries, as one warning line each (see RETRIED_JOB)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("dlt") and record.levelno >= logging.WARNING:
            message = record.getMessage()
            if message.startswith(RETRIED_JOB):
                record.levelno, record.levelname = logging.WARNING, "WARNING"
                record.exc_info = record.exc_text = None
            shortened = shorten_traceback(message)
            if shortened != message:
                record.msg, record.args = shortened, ()
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"civic-etl: {record.levelname.lower()}: {' '.join(record.getMessage().split())}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname.lower(),
            "event": getattr(record, "event", "log"),
            "logger": record.name,
            "message": " ".join(record.getMessage().split()),
        }
        for name in FIELDS[1:]:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        return json.dumps(line, default=str)


class StderrHandler(logging.Handler):
    """Writes each record to the current `sys.stderr`, in the format it was made with.

    dlt gives the handler it finds on its logger a formatter of its own every time a pipeline
    starts; this handler keeps the one the job chose.
    """

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        super().setFormatter(formatter)
        self.addFilter(_DropExpectedNotices())
        self.addFilter(_OneLineRetries())

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """Ignored: see the class docstring."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure_logging(log_format: str = "text") -> None:
    """Route the job's loggers and dlt's to one stderr handler in `log_format`."""
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    handler = StderrHandler(formatter)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def quiet_expected_dlt_notices() -> None:
    """Drop dlt's expected notices even where `configure_logging` did not run (library use)."""
    logger = logging.getLogger("dlt")
    if not any(isinstance(f, _DropExpectedNotices) for f in logger.filters):
        logger.addFilter(_DropExpectedNotices())
