"""Process settings, read once from the environment by an entrypoint and passed down.

Never a global: build ``Settings()`` in the entrypoint (CLI command, server, Action) and hand it
to what needs it. Secrets are ``SecretStr`` so they stay out of reprs and logs.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Written by `specbot app register` into the data directory: the App's id, key path, secret.
APP_ENV_FILE = "app.env"


def default_data_dir() -> Path:
    """Where specbot keeps its database and caches when ``SPECBOT_DATA_DIR`` is not set."""
    return Path.home() / ".specbot"


def data_dir_from_env() -> Path:
    """``SPECBOT_DATA_DIR`` (an empty value counts as unset), else the default."""
    return Path(os.environ.get("SPECBOT_DATA_DIR") or default_data_dir())


class Settings(BaseSettings):
    """Every setting specbot reads from the environment (names are a contract, see docs)."""

    # An empty variable (`GITHUB_APP_ID=` in an env file) counts as not set.
    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", frozen=True, env_ignore_empty=True
    )

    # GitHub
    github_app_id: int | None = Field(default=None, validation_alias="GITHUB_APP_ID")
    github_private_key: SecretStr | None = Field(
        default=None, validation_alias="GITHUB_PRIVATE_KEY"
    )
    github_private_key_path: Path | None = Field(
        default=None, validation_alias="GITHUB_PRIVATE_KEY_PATH"
    )
    github_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="GITHUB_WEBHOOK_SECRET"
    )
    github_api_url: str = Field(default="https://api.github.com", validation_alias="GITHUB_API_URL")
    # Pause between API writes as GitHub asks of integrations; off only against localhub.
    # A plain token used instead of the App's (the Action: the workflow's, or an App token)
    github_token: SecretStr | None = Field(default=None, validation_alias="GITHUB_TOKEN")
    github_pace_writes: bool = Field(default=True, validation_alias="SPECBOT_GITHUB_PACE_WRITES")

    # Web server
    log_level: str = Field(default="INFO", validation_alias="SPECBOT_LOG_LEVEL")

    # Model
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    model: str = Field(
        default="claude-sonnet-5-5",
        validation_alias=AliasChoices("SPECBOT_MODEL"),
    )
    model_timeout_seconds: float = Field(
        default=600.0, gt=0, validation_alias="SPECBOT_MODEL_TIMEOUT_SECONDS"
    )
    model_max_attempts: int = Field(default=5, ge=1, validation_alias="SPECBOT_MODEL_MAX_ATTEMPTS")
    # The account's input-tokens-per-minute limit (fresh input and cache writes): calls wait
    # rather than fire into a 429. Unset: no pacing beyond honouring 429s.
    model_input_tokens_per_minute: int | None = Field(
        default=None, ge=1, validation_alias="SPECBOT_MODEL_INPUT_TOKENS_PER_MINUTE"
    )
    run_max_tokens: int | None = Field(
        default=None, ge=1, validation_alias="SPECBOT_RUN_MAX_TOKENS"
    )
    run_max_cost_usd: float | None = Field(
        default=None, gt=0, validation_alias="SPECBOT_RUN_MAX_COST_USD"
    )
    run_max_seconds: float | None = Field(
        default=None, gt=0, validation_alias="SPECBOT_RUN_MAX_SECONDS"
    )
    # The most events one chain may hold (an event and all it causes): stops repositories'
    # event flows from setting each other off for ever.
    event_chain_limit: int = Field(
        default=50, ge=2, le=10_000, validation_alias="SPECBOT_EVENT_CHAIN_LIMIT"
    )

    # Storage
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="SPECBOT_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="SPECBOT_DATABASE_URL")

    # Runs: an existing virtual environment every run's commands use instead of one per
    # repository (the demo and tests: no install from the network), whether agents' shells
    # and tests run without network, and the public base URL of this server (run pages).
    workspace_venv: Path | None = Field(default=None, validation_alias="SPECBOT_WORKSPACE_VENV")
    isolate_agents: bool = Field(default=True, validation_alias="SPECBOT_ISOLATE")
    # Agents' shells run in a bubblewrap sandbox; where none can be built they are refused,
    # unless this weaker mode is chosen (the shell can then read every file the service can).
    sandbox_bwrap: str = Field(default="bwrap", validation_alias="SPECBOT_BWRAP")
    unsafe_shell_without_sandbox: bool = Field(
        default=False, validation_alias="SPECBOT_UNSAFE_SHELL_WITHOUT_SANDBOX"
    )
    public_url: str | None = Field(default=None, validation_alias="SPECBOT_PUBLIC_URL")

    # The run dashboard (/runs) and /metrics: off unless the operator chooses who may look.
    # ``secret``: whoever knows SPECBOT_DASHBOARD_SECRET (sees every run); ``github``: people
    # signed in with GitHub through the App's OAuth client (each sees the repositories their
    # account can read). The signed link of one run in its tracking comment works either way.
    dashboard_access: Literal["off", "secret", "github"] = Field(
        default="off", validation_alias="SPECBOT_DASHBOARD_ACCESS"
    )
    dashboard_secret: SecretStr | None = Field(
        default=None, validation_alias="SPECBOT_DASHBOARD_SECRET"
    )
    # Prompts, model text and tool output on run pages: off unless enabled (they can quote
    # private code); secrets are redacted from them either way.
    dashboard_show_content: bool = Field(
        default=False, validation_alias="SPECBOT_DASHBOARD_SHOW_CONTENT"
    )
    github_client_id: str | None = Field(default=None, validation_alias="GITHUB_CLIENT_ID")
    github_client_secret: SecretStr | None = Field(
        default=None, validation_alias="GITHUB_CLIENT_SECRET"
    )
    # Where people sign in (github.com, or a GitHub Enterprise host's web address).
    github_web_url: str = Field(default="https://github.com", validation_alias="GITHUB_WEB_URL")
    # /metrics on its own port (no access check: bind it where only Prometheus reaches);
    # without it /metrics is served beside the pages, behind the same access.
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="SPECBOT_METRICS_PORT"
    )

    # Durable engine: a stable id per worker process (its unfinished runs are recovered under
    # it after a restart) and the deployed version (runs resume only on the version that
    # started them, so a deploy never replays old runs on new code by accident).
    executor_id: str | None = Field(default=None, validation_alias="SPECBOT_EXECUTOR_ID")
    app_version: str | None = Field(default=None, validation_alias="SPECBOT_APP_VERSION")

    def secret_values(self) -> list[str]:
        """Every secret this process holds (the key file's too), for redaction."""
        values = [
            value.get_secret_value()
            for value in (
                self.github_private_key,
                self.github_webhook_secret,
                self.github_token,
                self.anthropic_api_key,
                self.dashboard_secret,
                self.github_client_secret,
            )
            if value is not None and value.get_secret_value()
        ]
        if self.github_private_key_path is not None:
            # An unreadable key is reported where the App's identity is built.
            with contextlib.suppress(OSError):
                values.append(self.github_private_key_path.read_text(errors="replace").strip())
        return [value for value in values if value]

    def resolved_database_url(self) -> str:
        """``SPECBOT_DATABASE_URL``, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'specbot.sqlite').resolve()}"


def load_settings(**values: Any) -> Settings:
    """Settings for an entrypoint: the environment, then the registered App's ``app.env`` in
    the data directory (``specbot app register`` writes it); the environment wins."""
    env_file = data_dir_from_env() / APP_ENV_FILE
    found = env_file if env_file.is_file() else None
    return Settings(_env_file=found, **values)
