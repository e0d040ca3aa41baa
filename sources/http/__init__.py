"""Shared HTTP layer: the only package that imports aiohttp."""

from sources.http.client import ApiClient, Params, SessionFactory, default_session
from sources.http.errors import (
    ApiError,
    AuthError,
    FatalHttpError,
    MalformedPageError,
    PaginationLoopError,
    RetriesExhaustedError,
    redact_url,
)
from sources.http.limiter import TokenBucket
from sources.http.pagination import Page, iter_hal_pages, iter_nb_v1_pages, iter_nb_v2_pages
from sources.http.registry import ClientRegistry, client_key
from sources.http.retry import RetryPolicy, parse_retry_after
from sources.http.settings import (
    ACTION_NETWORK,
    NATIONBUILDER,
    ApiSettings,
    RefreshHook,
    action_network_settings,
    nationbuilder_settings,
)
from sources.http.stats import ApiStats, Counters

__all__ = [
    "ACTION_NETWORK",
    "NATIONBUILDER",
    "ApiClient",
    "ApiError",
    "ApiSettings",
    "ApiStats",
    "AuthError",
    "ClientRegistry",
    "Counters",
    "FatalHttpError",
    "MalformedPageError",
    "Page",
    "PaginationLoopError",
    "Params",
    "RefreshHook",
    "RetriesExhaustedError",
    "RetryPolicy",
    "SessionFactory",
    "TokenBucket",
    "action_network_settings",
    "client_key",
    "default_session",
    "iter_hal_pages",
    "iter_nb_v1_pages",
    "iter_nb_v2_pages",
    "nationbuilder_settings",
    "parse_retry_after",
    "redact_url",
]
