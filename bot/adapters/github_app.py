"""The GitHub App's identity: its JWT, per-installation clients and its bot login.

PyGithub does the protocol: ``Auth.AppAuth`` signs the App's JWTs, ``AppInstallationAuth``
fetches an installation token and fetches a new one shortly before it expires. One client per
installation is kept for the life of the process, so its token is reused across deliveries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Auth, Github, GithubIntegration

from bot.adapters.github import PyGithubRepo, make_client, make_retry

if TYPE_CHECKING:
    from bot.settings import Settings


class AppSettingsError(ValueError):
    """A GitHub App setting is missing or unusable; the message names the setting."""


def app_id_from(settings: Settings) -> int:
    """``GITHUB_APP_ID``, or ``AppSettingsError`` when it is missing."""
    if settings.github_app_id is None:
        raise AppSettingsError("GITHUB_APP_ID is not set: the App's id, from its settings page")
    return settings.github_app_id


def private_key_from(settings: Settings) -> str:
    """The App's PEM private key from ``GITHUB_PRIVATE_KEY`` or ``GITHUB_PRIVATE_KEY_PATH``.

    The key is parsed here, at start-up, so a truncated or wrong file is reported by setting
    name before the first delivery needs it. The error never contains the key.
    """
    if settings.github_private_key is not None and settings.github_private_key.get_secret_value():
        setting = "GITHUB_PRIVATE_KEY"
        text = settings.github_private_key.get_secret_value()
        if "\\n" in text and "\n" not in text:  # a PEM squeezed onto one line in an env file
            text = text.replace("\\n", "\n")
    elif settings.github_private_key_path is not None:
        setting = "GITHUB_PRIVATE_KEY_PATH"
        try:
            text = settings.github_private_key_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            raise AppSettingsError(
                f"GITHUB_PRIVATE_KEY_PATH: cannot read {settings.github_private_key_path}: {reason}"
            ) from None
    else:
        raise AppSettingsError(
            "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set: the App's private key"
        )
    try:
        load_pem_private_key(text.strip().encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise AppSettingsError(f"{setting}: not a PEM private key without a passphrase") from None
    return text.strip() + "\n"


MAX_CACHED_REPOS = 256


class GitHubApp:
    """The App: per-installation repository clients and the App's own ``<slug>[bot]`` login."""

    def __init__(
        self, app_id: int, private_key: str, api_url: str, *, pace_writes: bool = True
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.pace_writes = pace_writes
        self._app_auth = Auth.AppAuth(app_id, private_key)
        self._clients: dict[int, tuple[Github, Auth.AppInstallationAuth]] = {}
        # One adapter per (installation, repository): its repository object is fetched once
        # (default branch, clone URL), not once per stage. Least recently used ones are dropped.
        self._repos: OrderedDict[tuple[int, str], PyGithubRepo] = OrderedDict()
        self._lock = threading.Lock()
        self._bot_login: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> GitHubApp:
        """The App from ``GITHUB_APP_ID``, its key, ``GITHUB_API_URL`` and write pacing."""
        return cls(
            app_id_from(settings),
            private_key_from(settings),
            settings.github_api_url,
            pace_writes=settings.github_pace_writes,
        )

    @property
    def app_id(self) -> int:
        """The App's id."""
        return int(self._app_auth.app_id)

    def bot_login(self) -> str:
        """``<slug>[bot]``, the login the App comments and pushes as (``GET /app``, once)."""
        with self._lock:
            if self._bot_login is None:
                integration = GithubIntegration(
                    auth=self._app_auth, base_url=self.api_url, retry=make_retry()
                )
                try:
                    self._bot_login = f"{integration.get_app().slug}[bot]"
                finally:
                    integration.close()
            return self._bot_login

    def client(self, installation_id: int) -> tuple[Github, Auth.AppInstallationAuth]:
        """The process's one client for ``installation_id`` (its token is cached and renewed)."""
        with self._lock:
            found = self._clients.get(installation_id)
            if found is None:
                auth = self._app_auth.get_installation_auth(installation_id)
                github = make_client(self.api_url, auth, pace_writes=self.pace_writes)
                found = self._clients[installation_id] = (github, auth)
            return found

    def repo(self, installation_id: int, full_name: str) -> PyGithubRepo:
        """A ``RepoGitHub`` for one repository of an installation (kept for later calls)."""
        key = (installation_id, full_name)
        with self._lock:
            found = self._repos.get(key)
            if found is not None:
                self._repos.move_to_end(key)
                return found
        github, auth = self.client(installation_id)
        made = PyGithubRepo(github, auth, full_name, bot_login=self.bot_login())
        with self._lock:
            self._repos[key] = made
            while len(self._repos) > MAX_CACHED_REPOS:
                self._repos.popitem(last=False)
        return made

    def close(self) -> None:
        """Close every installation client's connections."""
        with self._lock:
            for github, _auth in self._clients.values():
                github.close()
            self._clients.clear()
            self._repos.clear()
