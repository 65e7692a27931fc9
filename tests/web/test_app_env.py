"""The registered App's ``app.env`` in the data directory: read by entrypoints, env wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings


def test_app_env_fills_what_the_environment_leaves_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file gives id and secret; a variable set in the environment overrides the file."""
    (tmp_path / "app.env").write_text(
        'GITHUB_APP_ID=7\nGITHUB_WEBHOOK_SECRET=from-file\nGITHUB_API_URL="http://h/api/v3"\n'
    )
    monkeypatch.setenv("SPECBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GITHUB_APP_ID", "9")
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    settings = load_settings()
    assert settings.github_app_id == 9
    assert settings.github_webhook_secret is not None
    assert settings.github_webhook_secret.get_secret_value() == "from-file"
    assert settings.github_api_url == "http://h/api/v3"
    assert settings.data_dir == tmp_path


def test_without_app_env_only_the_environment_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory with no registration changes nothing (and needs not exist)."""
    monkeypatch.setenv("SPECBOT_DATA_DIR", str(tmp_path / "missing"))
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    assert load_settings().github_app_id is None
