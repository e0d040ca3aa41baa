"""Shared HTTP layer: the only package that imports aiohttp, and one that knows no API."""

from sources.http.client import ApiClient, Params, SessionFactory, SharedClient, default_session
from sources.http.credential import Credential
from sources.http.errors import (
    ApiError,
    AuthError,
    FatalHttpError,
    MalformedPageError,
    NotFoundError,
    PaginationLoopError,
    RetriesExhaustedError,
    one_line,
    redact_url,
)
from sources.http.limiter import Clock, Permit, TokenBucket
from sources.http.pagination import Page, iter_hal_pages, iter_nb_v1_pages, iter_nb_v2_pages
from sources.http.registry import CredentialRegistry, Credentials, UsedCredentials, credential_key
from sources.http.retry import RetryPolicy, parse_retry_after
from sources.http.settings import (
    ApiSettings,
    ErrorFields,
    RefreshHook,
    plain_error_fields,
    read_error_body,
)
from sources.http.stats import ApiStats, Counters

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiSettings",
    "ApiStats",
    "AuthError",
    "Clock",
    "Counters",
    "Credential",
    "CredentialRegistry",
    "Credentials",
    "ErrorFields",
    "FatalHttpError",
    "MalformedPageError",
    "NotFoundError",
    "Page",
    "PaginationLoopError",
    "Params",
    "Permit",
    "RefreshHook",
    "RetriesExhaustedError",
    "RetryPolicy",
    "SessionFactory",
    "SharedClient",
    "TokenBucket",
    "UsedCredentials",
    "credential_key",
    "default_session",
    "iter_hal_pages",
    "iter_nb_v1_pages",
    "iter_nb_v2_pages",
    "one_line",
    "parse_retry_after",
    "plain_error_fields",
    "read_error_body",
    "redact_url",
]
