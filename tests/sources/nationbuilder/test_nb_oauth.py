"""An access token that expires mid-run: refreshed through OAuth, kept out of the warehouse."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from nb_helpers import configure, mismatches, nb_get, run_nb, simulator, truth

from pipelines.workdir import pipelines_dir
from tests.support.simulator import reset_stats, stats

CLIENT = {"client_id": "sim-client", "client_secret": "sim-secret"}
REFRESH_TOKEN = "nb-refresh-token"
# About 40 requests for a whole run: a token that expires after 20 is refreshed once.
POPULATION = {"nb_signups": 300, "nb_donations": 100, "nb_lists": 5, "nb_token_ttl_requests": 20}


def _files_holding(folder: Path, secrets: list[str]) -> dict[str, list[str]]:
    """Which files under `folder` hold which of `secrets`, byte for byte."""
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [s for s in secrets if s.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def test_expired_token_is_refreshed_and_kept_out_of_the_warehouse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    with simulator(**POPULATION) as sim:
        cache = configure(monkeypatch, sim, tmp_path, refresh_token=REFRESH_TOKEN, **CLIENT)
        reset_stats(sim)
        run_nb(warehouse)
        seen = stats(sim)
        assert seen["by_route"].get("nationbuilder POST /oauth/token") == 1, "refreshed once"
        assert seen["unauthorized"]["nationbuilder"] >= 1, "the token did expire mid-run"
        served = seen["requests"]["nationbuilder"] - seen["unauthorized"]["nationbuilder"] - 1
        assert 20 < served <= 40, "one expiry: the run needs between one and two tokens' worth"
        assert mismatches(warehouse, truth(sim)) == {}

        saved = json.loads(cache.read_text())[sim.nationbuilder_url]
        assert saved["access_token"].startswith("nb-refreshed-")
        assert saved["refresh_token"] not in (None, REFRESH_TOKEN)  # NB rotates it
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600
        # The cached token is the live one.
        assert nb_get(sim, "/api/v2/paths", token=saved["access_token"])["data"]

        secrets = [
            saved["access_token"],
            saved["refresh_token"],
            REFRESH_TOKEN,
            CLIENT["client_secret"],
            sim.config.nb_token,
        ]
        assert _files_holding(pipelines_dir(warehouse).parent, secrets) == {}
        assert _files_holding(tmp_path, secrets) == {"nb_tokens.json": secrets[:2]}

        # The next run starts from the cached tokens (the configured refresh token is spent).
        reset_stats(sim)
        run_nb(warehouse)
        assert mismatches(warehouse, truth(sim)) == {}
        assert stats(sim)["by_route"].get("nationbuilder POST /oauth/token", 0) >= 1
        assert _files_holding(pipelines_dir(warehouse).parent, secrets) == {}


def test_expired_token_without_client_credentials_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with simulator(**POPULATION) as sim:
        configure(monkeypatch, sim, tmp_path)
        result = run_nb(tmp_path / "w.duckdb", ok=False)
    assert result.error is not None
    assert "\n" not in result.error
    assert "nationbuilder: GET /nationbuilder/api/v2/" in result.error
    assert "401 token_expired" in result.error
    assert "get a new token" in result.error
    assert "client_id/client_secret/refresh_token" in result.error
    assert "nb-test-token" not in result.error
    assert not (tmp_path / "nb_tokens.json").exists()


def test_refresh_rejected_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with simulator(**POPULATION) as sim:
        configure(
            monkeypatch,
            sim,
            tmp_path,
            client_id="sim-client",
            client_secret="wrong-secret",
            refresh_token=REFRESH_TOKEN,
        )
        result = run_nb(tmp_path / "w.duckdb", ok=False)
    assert result.error is not None and "\n" not in result.error
    assert "401 token_expired" in result.error and "get a new token" in result.error
    assert "renewing it was refused (401" in result.error, result.error
    assert "wrong-secret" not in result.error and REFRESH_TOKEN not in result.error
