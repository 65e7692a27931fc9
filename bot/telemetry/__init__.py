"""specbot's metrics for Prometheus: the process's instruments (``METRICS``) and the hooks
that feed them, a collector reading the database at scrape time, and ``/metrics``.

``METRICS`` and its hooks import prometheus-client alone: the GitHub and model adapters call
them on every request. The web parts (FastAPI, the database) load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.telemetry._labels import GITHUB_EVENTS, OTHER
from bot.telemetry._metrics import BREAKER_STATES, METRICS, Breaker, Metrics, RateLimited

if TYPE_CHECKING:
    from bot.telemetry._database import DatabaseCollector
    from bot.telemetry._exposition import (
        MetricsAccess,
        MetricsServer,
        metrics_registry,
        metrics_router,
        start_metrics_server,
    )

_LAZY = {
    "DatabaseCollector": "bot.telemetry._database",
    "MetricsAccess": "bot.telemetry._exposition",
    "MetricsServer": "bot.telemetry._exposition",
    "metrics_registry": "bot.telemetry._exposition",
    "metrics_router": "bot.telemetry._exposition",
    "start_metrics_server": "bot.telemetry._exposition",
}


def __getattr__(name: str) -> Any:
    """Load the web and database parts when first asked for (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bot.telemetry' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BREAKER_STATES",
    "GITHUB_EVENTS",
    "METRICS",
    "OTHER",
    "Breaker",
    "DatabaseCollector",
    "Metrics",
    "MetricsAccess",
    "MetricsServer",
    "RateLimited",
    "metrics_registry",
    "metrics_router",
    "start_metrics_server",
]
