"""Turn any failure into the one line a person needs: what failed and what to do."""

from __future__ import annotations

from dlt.common.configuration.exceptions import ConfigFieldMissingException

from sources.http import ApiError
from sources.http.errors import one_line

CONFIG_HINTS = {
    "access_token": "SOURCES__NATIONBUILDER__ACCESS_TOKEN",
    "base_url": "SOURCES__NATIONBUILDER__BASE_URL",
    "api_key": "SOURCES__ACTION_NETWORK__API_KEY",
}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def one_line_error(exc: BaseException) -> str:
    """Prefer our typed API errors, then missing configuration, then the innermost message."""
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, ApiError):
            return one_line(str(error))
    for error in chain:
        if isinstance(error, ConfigFieldMissingException):
            names = [CONFIG_HINTS.get(f, f) for f in error.fields]
            where = "set it in .dlt/secrets.toml or the environment"
            return f"missing configuration: {', '.join(names)} ({where})"
    innermost = chain[-1]
    return one_line(f"{type(innermost).__name__}: {innermost}")
