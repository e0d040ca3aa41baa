"""Error rendering: one line, the call that failed, and never a credential."""

from __future__ import annotations

import pickle

import pytest

from sources.action_network.client import action_network_settings
from sources.http import (
    AuthError,
    FatalHttpError,
    MalformedPageError,
    PaginationLoopError,
    RetriesExhaustedError,
    redact_url,
)
from sources.nationbuilder.client import nationbuilder_settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/api/v2/signups?access_token=abc&page[number]=2",
            "/api/v2/signups?access_token=***&page[number]=2",
        ),
        ("/api/v1/lists?__nonce=n1&__token=T0K", "/api/v1/lists?__nonce=n1&__token=***"),
        ("https://x/api?api_key=k&x=1", "https://x/api?api_key=***&x=1"),
        ("https://x/api?TOKEN=k", "https://x/api?TOKEN=***"),
        ("https://user:pw@x/api", "https://***@x/api"),
        ("/api/v2/signups?page[size]=100", "/api/v2/signups?page[size]=100"),
    ],
)
def test_redact_url_masks_credential_query_values(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_error_renders_one_line_with_method_path_status_code_and_message() -> None:
    err = FatalHttpError(
        "nationbuilder", "get", "/api/v2/signups", 404, "not_found", "Record\nnot found"
    )
    assert str(err) == "nationbuilder: GET /api/v2/signups -> 404 not_found: Record not found"


def test_auth_error_says_how_to_get_a_new_credential() -> None:
    """The HTTP layer knows no API: each source's settings say what to do about a 401."""
    nb = AuthError("nationbuilder", "GET", "/api/v2/signups", 401, "unauthorized", "no")
    nb.hint = nationbuilder_settings("https://n.nationbuilder.com", "t").auth_hint
    an = AuthError("action_network", "GET", "/people", 401, None, "API Key invalid")
    an.hint = action_network_settings("https://actionnetwork.org/api/v2", "k").auth_hint
    assert "Settings > Developer > API token" in str(nb)
    assert "client_id/client_secret/refresh_token" in str(nb)
    assert "SOURCES__ACTION_NETWORK__API_KEY (API & Sync page)" in str(an)
    assert "\n" not in str(nb) + str(an)


def test_retries_exhausted_names_the_attempts() -> None:
    err = RetriesExhaustedError("action_network", "GET", "/people", 503, "http_503", "down", 8)
    assert (
        str(err) == "action_network: GET /people -> 503 http_503: down (gave up after 8 attempts)"
    )


def test_page_errors_name_path_and_page() -> None:
    malformed = MalformedPageError("nationbuilder", "/api/v2/signups", 3, "'data' is not a list")
    looped = PaginationLoopError("nationbuilder", "/api/v1/lists?__token=x", 4, "next repeats")
    assert str(malformed) == (
        "nationbuilder: GET /api/v2/signups -> malformed_page: page 3: 'data' is not a list"
    )
    assert "page 4" in str(looped)
    assert "__token=***" in str(looped)


def test_errors_survive_pickling() -> None:
    err = RetriesExhaustedError("nationbuilder", "GET", "/x", 500, "server_error", "boom", 3)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is RetriesExhaustedError
    assert str(copy) == str(err)
    assert copy.attempts == 3
