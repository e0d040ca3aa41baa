"""Typed, one-line, secret-free errors raised by the HTTP layer."""

from __future__ import annotations

import re
from typing import Any

# Query parameters whose values are credentials or pagination secrets (NB v1 `__token`,
# `access_token`, `api_key`, ...). Matching by substring also catches vendor spellings.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;][^=&#\s]*(?:token|key|secret|password|signature|auth)[^=&#\s]*=)[^&#\s]*"
)
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_MAX_MESSAGE = 300


def redact_url(url: str) -> str:
    """Masks credentials in a URL or path so that it can reach logs and error messages."""
    return _USERINFO.sub("***@", _SECRET_PARAM.sub(r"\1***", url))


def one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Collapses a server message to one bounded line, so one error is one log line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _rebuild(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    return error


class ApiError(Exception):
    """Base of every error from an API call; `str()` is one line and never holds a token."""

    def __init__(
        self,
        api: str,
        method: str,
        path: str,
        status: int | None = None,
        code: str | None = None,
        message: str = "",
    ) -> None:
        self.api = api
        self.method = method.upper()
        self.path = redact_url(path)
        self.status = status
        self.code = code
        self.message = one_line(redact_url(message))
        super().__init__(str(self))

    def __str__(self) -> str:
        outcome = " ".join(str(part) for part in (self.status, self.code) if part) or "failed"
        head = f"{self.api}: {self.method} {self.path} -> {outcome}"
        return f"{head}: {self.message}" if self.message else head

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-rich subclasses cannot be rebuilt from `args`; dlt may pickle errors across
        # worker boundaries, so rebuild from the attributes instead.
        return (_rebuild, (type(self), dict(self.__dict__)))


class FatalHttpError(ApiError):
    """A failure that retrying cannot fix: most 4xx, a redirect, a bad TLS certificate.

    Precisely: 4xx other than 429, any unfollowed 3xx, 5xx other than 500/502/503/504, and the
    aiohttp client errors that are not transient.
    """


class NotFoundError(FatalHttpError):
    """404: the address does not exist; `hint` says which setting makes the address."""

    hint = "check the base_url"

    def __str__(self) -> str:
        return f"{super().__str__()}; {self.hint}"


class AuthError(FatalHttpError):
    """401/403: the credential is missing, wrong or expired; `hint` says how to get a new one."""

    hint = "check the API credentials"

    def __str__(self) -> str:
        return f"{super().__str__()}; {self.hint}"


class RetriesExhaustedError(ApiError):
    """A transient failure (429, 5xx, network, broken body) outlasted every retry."""

    def __init__(
        self,
        api: str,
        method: str,
        path: str,
        status: int | None = None,
        code: str | None = None,
        message: str = "",
        attempts: int = 0,
    ) -> None:
        self.attempts = attempts
        super().__init__(api, method, path, status, code, message)

    def __str__(self) -> str:
        return f"{super().__str__()} (gave up after {self.attempts} attempts)"


class MalformedPageError(ApiError):
    """A 2xx page that parsed but does not have the shape its paginator documents."""

    def __init__(self, api: str, path: str, page: int, problem: str, method: str = "GET") -> None:
        self.page = page
        message = f"page {page}: {problem}"
        super().__init__(api, method, path, code="malformed_page", message=message)


class PaginationLoopError(ApiError):
    """The server handed back a page or next link it already served: paging would never end."""

    def __init__(self, api: str, path: str, page: int, problem: str, method: str = "GET") -> None:
        self.page = page
        message = f"page {page}: {problem}"
        super().__init__(api, method, path, code="pagination_loop", message=message)
