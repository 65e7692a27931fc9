"""The GitHub App's identity against localhub: bot login, installation clients, settings errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.github_app import (
    AppSettingsError,
    GitHubApp,
    app_id_from,
    private_key_from,
)
from bot.localhub import RunningHub
from bot.settings import Settings
from tests.hub_fixtures import APP_ID, INSTALLATION_ID

REPO = "acme/widgets"


@pytest.fixture
def app(hub: RunningHub, app_key_pem: Path) -> Iterator[GitHubApp]:
    """The App built from settings, as ``specbot serve`` builds it, pointed at localhub."""
    settings = Settings(
        GITHUB_APP_ID=str(APP_ID),
        GITHUB_PRIVATE_KEY_PATH=str(app_key_pem),
        GITHUB_API_URL=hub.api_url,
        SPECBOT_GITHUB_PACE_WRITES="false",
    )
    built = GitHubApp.from_settings(settings)
    yield built
    built.close()


def token_requests(hub: RunningHub) -> list[dict[str, object]]:
    """The installation-token requests localhub received."""
    path = f"/api/v3/app/installations/{INSTALLATION_ID}/access_tokens"
    return [r for r in hub.requests() if r["method"] == "POST" and r["path"] == path]


def test_bot_login_comes_from_get_app(app: GitHubApp, hub: RunningHub) -> None:
    """The bot login is the App's slug plus [bot], asked of GET /app once."""
    assert app.bot_login() == "specbot[bot]"
    assert app.bot_login() == "specbot[bot]"
    asked = [r for r in hub.requests() if r["path"] == "/api/v3/app"]
    assert len(asked) == 1


def test_installation_repo_acts_as_the_bot_with_one_token(app: GitHubApp, hub: RunningHub) -> None:
    """Two repositories of one installation share a client; its token is fetched once.

    ``find_own_comment`` only finds comments authored by the bot login, so finding the comment
    also shows it was posted as ``specbot[bot]``.
    """
    issue = hub.open_issue(REPO, "Export CSV", "body", as_user="alice")
    first = app.repo(INSTALLATION_ID, REPO)
    created = first.create_comment(issue["number"], "hello from the App")
    second = app.repo(INSTALLATION_ID, REPO)
    assert second.find_own_comment(issue["number"], "hello from") == created
    assert app.client(INSTALLATION_ID) is app.client(INSTALLATION_ID)
    assert len(token_requests(hub)) == 1
    assert first.bot_login == "specbot[bot]"


def test_write_pacing_is_on_unless_a_setting_turns_it_off(app_key_pem: Path) -> None:
    """Write pacing follows SPECBOT_GITHUB_PACE_WRITES and defaults to on."""
    paced = GitHubApp.from_settings(
        Settings(GITHUB_APP_ID="7", GITHUB_PRIVATE_KEY_PATH=str(app_key_pem))
    )
    unpaced = GitHubApp.from_settings(
        Settings(
            GITHUB_APP_ID="7",
            GITHUB_PRIVATE_KEY_PATH=str(app_key_pem),
            SPECBOT_GITHUB_PACE_WRITES="0",
        )
    )
    assert paced.pace_writes is True
    assert unpaced.pace_writes is False
    assert paced.api_url == "https://api.github.com"


def test_key_from_environment_with_escaped_newlines(app_key_pem: Path) -> None:
    """A PEM put on one line with literal \\n (as env files often hold it) is accepted."""
    one_line = app_key_pem.read_text().strip().replace("\n", "\\n")
    key = private_key_from(Settings(GITHUB_PRIVATE_KEY=one_line))
    assert key == app_key_pem.read_text().strip() + "\n"


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({}, "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set"),
        ({"GITHUB_PRIVATE_KEY_PATH": "/nonexistent/app.pem"}, "GITHUB_PRIVATE_KEY_PATH: cannot"),
        ({"GITHUB_PRIVATE_KEY": "not a key"}, "GITHUB_PRIVATE_KEY: not a PEM private key"),
    ],
)
def test_key_errors_name_the_setting(environment: dict[str, str], named: str) -> None:
    """A missing, unreadable or invalid key is refused with the setting's name."""
    with pytest.raises(AppSettingsError, match=named):
        private_key_from(Settings(**environment))  # type: ignore[arg-type]


def test_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    """A readable file that holds no PEM key is refused, and the message names the setting."""
    path = tmp_path / "app.pem"
    path.write_text("-----BEGIN RSA PRIVATE KEY-----\ntruncated\n")
    with pytest.raises(AppSettingsError, match="GITHUB_PRIVATE_KEY_PATH: not a PEM"):
        private_key_from(Settings(GITHUB_PRIVATE_KEY_PATH=str(path)))


def test_missing_app_id_is_named() -> None:
    """Without GITHUB_APP_ID the error names it."""
    with pytest.raises(AppSettingsError, match="GITHUB_APP_ID"):
        app_id_from(Settings())
