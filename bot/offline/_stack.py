"""The whole App in one process, offline: localhub, the scripted model, the engine and the
webhook server, wired exactly as in production (signed webhooks over HTTP, PyGithub, git over
HTTP, the anthropic SDK), differing only in settings. The demo and the end-to-end tests run it.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from bot.adapters.durable import Engine, engine_settings
from bot.flows import Services, build_catalog, from_settings, router
from bot.localhub import RunningHub, oauth_client, start_localhub
from bot.scripted import ScriptedModelServer, start_scripted_model
from bot.settings import Settings
from bot.web import create_app

APP_ID = 1
WEBHOOK_SECRET = "offline-webhook-secret"


# How long closing the stack waits for unfinished runs.
DRAIN_SECONDS = 30.0


@dataclass
class OfflineStack:
    """The running pieces; ``close`` stops them in order."""

    hub: RunningHub
    model: ScriptedModelServer
    engine: Engine
    services: Services
    settings: Settings
    webhook_url: str
    _server: uvicorn.Server
    _thread: threading.Thread
    closed: bool = field(default=False)

    @property
    def app_url(self) -> str:
        """The App's web address (its run dashboard is under ``/runs``)."""
        return self.webhook_url.removesuffix("/webhook")

    @property
    def dashboard_secret(self) -> str:
        """The secret that signs in to the run dashboard ('' when it is off)."""
        secret = self.settings.dashboard_secret
        return secret.get_secret_value() if secret is not None else ""

    def close(self) -> None:
        """Stop the web server (and its engine), the model and localhub."""
        if self.closed:
            return
        self.closed = True
        self._server.should_exit = True
        self._thread.join(timeout=DRAIN_SECONDS + 30)
        self.services.close()
        self.model.stop()
        self.hub.stop()

    def __enter__(self) -> OfflineStack:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def offline_settings(
    hub: RunningHub, model: ScriptedModelServer, data_dir: Path, key_path: Path, **extra: Any
) -> Settings:
    """Settings that point the App at localhub and the scripted model (env vars ignored).

    The run dashboard is on, behind a random secret made for this stack alone.
    """
    # The App's OAuth client on localhub: GitHub sign-in to the dashboard, when it is on.
    client_id, client_secret = oauth_client(hub.hub, APP_ID)
    values: dict[str, Any] = {
        "GITHUB_WEB_URL": hub.url,
        "GITHUB_CLIENT_ID": client_id,
        "GITHUB_CLIENT_SECRET": client_secret,
        "GITHUB_APP_ID": APP_ID,
        "GITHUB_PRIVATE_KEY_PATH": key_path,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GITHUB_API_URL": hub.api_url,
        "SPECBOT_GITHUB_PACE_WRITES": False,
        "ANTHROPIC_API_KEY": "scripted-model-key",
        "ANTHROPIC_BASE_URL": model.base_url,
        "SPECBOT_DATA_DIR": data_dir,
        "SPECBOT_DATABASE_URL": f"sqlite:///{data_dir / 'specbot.sqlite'}",
        "SPECBOT_EXECUTOR_ID": "offline",
        "SPECBOT_DASHBOARD_ACCESS": "secret",
        "SPECBOT_DASHBOARD_SECRET": secrets.token_hex(16),
        **extra,
    }
    return Settings(**values)


def start_stack(
    seed: dict[str, Any],
    script: Path | dict[str, Any],
    data_dir: Path,
    key_path: Path,
    *,
    link_runs: bool = False,
    **settings: Any,
) -> OfflineStack:
    """Start localhub from ``seed`` (its App ``APP_ID`` gets the webhook), the model, the App.

    ``link_runs``: the App's own address is its public URL, so tracking comments and check
    runs link to the run pages (the port is known only here).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    hub = start_localhub(seed)
    model = start_scripted_model(script)
    sock = _free_socket()
    app_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    webhook_url = f"{app_url}/webhook"
    if link_runs:
        settings = {"SPECBOT_PUBLIC_URL": app_url, **settings}
    try:
        config = offline_settings(hub, model, data_dir, key_path, **settings)
        services = from_settings(config)
        engine = Engine(engine_settings(config), build_catalog(services))
        # Closing waits (up to DRAIN_SECONDS) for runs still at work, such as a criteria check
        # running the project's tests: none is left to outlive the stack in this process.
        app = create_app(config, engine, router, drain_seconds=DRAIN_SECONDS)
        server = uvicorn.Server(
            uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        _wait_started(server, thread)
        hub.set_app_webhook(APP_ID, webhook_url, WEBHOOK_SECRET)
    except BaseException:
        model.stop()
        hub.stop()
        sock.close()
        raise
    return OfflineStack(hub, model, engine, services, config, webhook_url, server, thread)


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the webhook server did not start")
        time.sleep(0.02)
