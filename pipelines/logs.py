"""Keep dlt's log to what a person running the job should read."""

from __future__ import annotations

import logging

# Every Arrow page with a JSON column (declared a string in Arrow, `json` in dlt's schema) makes
# dlt warn that hints differ; that difference is intended, so one warning per page is noise.
EXPECTED_NOTICES = ("column hints were different",)


class _DropExpectedNotices(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(notice in message for notice in EXPECTED_NOTICES)


def quiet_expected_dlt_notices() -> None:
    logger = logging.getLogger("dlt")
    if not any(isinstance(f, _DropExpectedNotices) for f in logger.filters):
        logger.addFilter(_DropExpectedNotices())
