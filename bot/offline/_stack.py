"""The whole App in one process, offline: localhub, the scripted model, the engine and the
webhook server, wired exactly as in production (signed webhooks over HTTP, PyGithub, git over
HTTP, the anthropic SDK), differing only in settings. The demo and the end-to-end tests run it.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from bot.adapters.durable import Engine, engine_settings
from bot.flows import Services, build_catalog, from_settings, router
from bot.localhub import RunningHub, start_localhub
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
    """Settings that point the App at localhub and the scripted model (env vars ignored)."""
    values: dict[str, Any] = {
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
        **extra,
    }
    return Settings(**values)


def start_stack(
    seed: dict[str, Any],
    script: Path | dict[str, Any],
    data_dir: Path,
    key_path: Path,
    **settings: Any,
) -> OfflineStack:
    """Start localhub from ``seed`` (its App ``APP_ID`` gets the webhook), the model, the App."""
    data_dir.mkdir(parents=True, exist_ok=True)
    hub = start_localhub(seed)
    model = start_scripted_model(script)
    sock = _free_socket()
    webhook_url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"
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
