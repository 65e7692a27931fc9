"""The HTTP server: the app factory and a server running in a thread for tests and demos."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.localhub import (
    _admin,
    _manifests,
    _oauth,
    _pages,
    _rest_apps,
    _rest_checks,
    _rest_issues,
    _rest_pulls,
    _rest_repos,
)
from bot.localhub._faults import FaultRule
from bot.localhub._http import make_route, not_found_response
from bot.localhub._localhub import LocalHub
from bot.localhub._seed import Seed
from bot.localhub._smarthttp import ROUTE as GIT_ROUTE


async def _healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _not_found(request: Request, exc: Exception) -> Response:
    return not_found_response(request)


def build_app(local: LocalHub) -> Starlette:
    """The ASGI app: REST at /api/v3, git at /<owner>/<repo>.git, admin at /_localhub, pages."""
    routes: list[BaseRoute] = []
    # specific paths first: /commits/{ref}/status must win over /commits/{ref:path}
    for module in (
        _rest_checks,
        _rest_apps,
        _oauth,
        _manifests,
        _rest_pulls,
        _rest_issues,
        _rest_repos,
    ):
        routes += [make_route(local.hub, endpoint) for endpoint in module.ENDPOINTS]
    routes += [*_admin.ROUTES, Route("/_localhub/healthz", _healthz), GIT_ROUTE]
    # the web pages last: /{owner}/{repo} would otherwise shadow nothing, but must never win
    routes += [*_manifests.ROUTES, *_oauth.ROUTES, *_pages.ROUTES]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.hub = local.hub
    app.state.localhub = local
    return app


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one), bound before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every response waits ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def public_url(host: str, port: int) -> str:
    """The URL clients use: the bound address (``127.0.0.1`` for a wildcard bind)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


class RunningHub(LocalHub):
    """A localhub serving HTTP on a port from a background thread, with every helper of LocalHub."""

    def __init__(
        self,
        seed: Seed | Path | dict[str, Any] | None = None,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        random_seed: int = 0,
        faults: Sequence[FaultRule | dict[str, Any]] = (),
    ) -> None:
        super().__init__(seed, data_dir=data_dir, random_seed=random_seed)
        try:
            for rule in faults:
                self.add_fault(rule)
            self._socket = bind_socket(host, port)
        except BaseException:
            self.close()
            raise
        self.port = int(self._socket.getsockname()[1])
        self.url = public_url(host, self.port)
        self.hub.public_url = self.url
        config = uvicorn.Config(
            build_app(self), log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("localhub did not start")
            time.sleep(0.01)

    @property
    def api_url(self) -> str:
        """The REST base URL for clients (``Github(base_url=...)``, octokit ``baseUrl``)."""
        return f"{self.url}/api/v3"

    @property
    def admin_url(self) -> str:
        """The admin API base URL."""
        return f"{self.url}/_localhub"

    def git_url(self, repo: str, token: str | None = None, user: str = "x-access-token") -> str:
        """The clone URL of ``repo``, with ``user:token@`` when a token is given."""
        if token is None:
            return f"{self.url}/{repo}.git"
        return f"{self.url.replace('http://', f'http://{user}:{token}@')}/{repo}.git"

    def stop(self) -> None:
        """Stop serving, finish webhook deliveries, persist, and clean up."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        self.close()

    def __enter__(self) -> RunningHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_localhub(
    seed: Seed | Path | dict[str, Any] | None = None,
    data_dir: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    random_seed: int = 0,
    faults: Sequence[FaultRule | dict[str, Any]] = (),
) -> RunningHub:
    """Start a localhub on ``host:port`` (0: a free port) and return it running.

    With ``data_dir`` holding a previous run's state, that state is loaded and the seed skipped.
    """
    return RunningHub(
        seed, data_dir=data_dir, host=host, port=port, random_seed=random_seed, faults=faults
    )
