"""``/metrics`` in Prometheus's text format: on the app behind the dashboard's access, or on a
port of its own (``SPECBOT_METRICS_PORT``: no access check, bind it where only Prometheus
reaches).

Only the operator sees the metrics on the app: a request needs the shared secret (``Authorization:
Bearer <secret>``) or a session of someone who sees every repository. The figures are the
whole installation's, so a person who reads some repositories only, or holds one run's signed
link, is refused. With the dashboard off, ``/metrics`` is not there at all (404).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from bot.telemetry._metrics import METRICS, Metrics

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class _Viewer(Protocol):
    """What ``/metrics`` asks of the person looking (the dashboard's ``Viewer``)."""

    @property
    def repositories(self) -> frozenset[str] | None:
        """The repositories they read; None: every one (the operator)."""
        ...

    @property
    def run_id(self) -> str | None:
        """The one run a signed link shows, if that is what they hold."""
        ...


class MetricsAccess(Protocol):
    """What ``/metrics`` asks of the dashboard's ``Access``."""

    @property
    def enabled(self) -> bool:
        """Whether anyone may look at all."""
        ...

    async def viewer(self, request: Request) -> _Viewer | None:
        """Who sent ``request``, or None."""
        ...


class _Forward(Collector):
    """Another registry's families, so that one exposition can hold several registries."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        """The other registry's families."""
        return self._registry.collect()


def metrics_registry(*collectors: Collector, metrics: Metrics = METRICS) -> CollectorRegistry:
    """A registry exposing ``metrics`` (the process's) and ``collectors`` (e.g. the database's).

    Each app or server gets its own: the database collector belongs to one database, while the
    process's counters are shared by everything in the process.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Forward(metrics.registry))
    for collector in collectors:
        registry.register(collector)
    return registry


def metrics_router(access: MetricsAccess, registry: CollectorRegistry | None = None) -> APIRouter:
    """``GET /metrics`` for the operator (see the module), from ``registry`` (default: the
    process's metrics alone)."""
    exposed = registry if registry is not None else metrics_registry()
    router = APIRouter()

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        if not access.enabled:
            return PlainTextResponse("not found\n", status_code=404, headers=_HEADERS)
        viewer = await access.viewer(request)
        if viewer is None:
            return PlainTextResponse(
                "sign in, or send Authorization: Bearer <SPECBOT_DASHBOARD_SECRET>\n",
                status_code=401,
                headers={**_HEADERS, "WWW-Authenticate": 'Bearer realm="specbot"'},
            )
        if viewer.repositories is not None or viewer.run_id is not None:
            return PlainTextResponse(
                "the metrics cover every repository: only the operator sees them\n",
                status_code=403,
                headers=_HEADERS,
            )
        # Off the event loop: the database collector queries the database.
        body = await asyncio.to_thread(generate_latest, exposed)
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers=_HEADERS)

    return router


@dataclass
class MetricsServer:
    """prometheus-client's HTTP server on a port of its own, in a daemon thread."""

    host: str
    port: int
    _server: WSGIServer
    _thread: threading.Thread

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_metrics_server(
    port: int, host: str = "127.0.0.1", registry: CollectorRegistry | None = None
) -> MetricsServer:
    """Serve ``registry`` (default: the process's metrics) on ``host:port`` with no access
    check; ``port=0`` takes a free one. ``OSError`` when the port cannot be bound."""
    exposed = registry if registry is not None else metrics_registry()
    server, thread = _start_http_server(port, addr=host, registry=exposed)
    bound_port = int(server.server_address[1])
    return MetricsServer(host, bound_port, server, thread)
