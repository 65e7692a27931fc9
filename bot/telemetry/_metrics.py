"""The process's metrics: deliveries, runs, stages, model calls and GitHub calls, counted as
they happen on a registry of specbot's own (never prometheus-client's global one: a test
process builds several apps, and nothing else may add to what specbot exposes).

What is true at a moment rather than counted (the model's circuit breaker, the GitHub rate
limit left) is read when Prometheus scrapes, from the objects handed to ``watch_breaker`` and
``watch_rate_limit``; they are held weakly, so watching keeps nothing alive.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.telemetry._labels import (
    GITHUB_EVENTS,
    HTTP_METHODS,
    BoundedLabel,
    one_of,
    status_class,
    status_code,
)

# Prometheus keeps a ``_created`` series beside every counter and histogram otherwise: twice
# the series for a start time it can tell from the counter's resets.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client

DELIVERY_OUTCOMES = frozenset({"queued", "duplicate", "ignored", "pong", "refused", "unavailable"})
RUN_STATES = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
# A stage lasts from a second (a GitHub read) to an hour (an implementation with its tests).
STAGE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
# The model's usage fields, by the ``kind`` label they are counted under.
TOKEN_KINDS = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cache_read",
    "cache_creation_input_tokens": "cache_write",
}


class Breaker(Protocol):
    """A circuit breaker whose state can be read (``closed``, ``half_open``, ``open``)."""

    @property
    def state(self) -> str:
        """The breaker's state now."""
        ...


class RateLimited(Protocol):
    """A GitHub client's last rate-limit headers, as PyGithub's ``Requester`` keeps them."""

    @property
    def rate_limiting(self) -> tuple[int, int]:
        """``(X-RateLimit-Remaining, X-RateLimit-Limit)``; ``(-1, -1)`` before any answer."""
        ...

    @property
    def rate_limiting_resettime(self) -> int:
        """``X-RateLimit-Reset``: when the window restarts (epoch seconds)."""
        ...


def _amount(value: object) -> float:
    """A count or price from a payload: a finite number >= 0, else 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else 0.0


class Metrics:
    """Every instrument of one process, and the hooks the rest of specbot calls."""

    def __init__(self, *, label_limit: int = 50, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._flows = BoundedLabel(label_limit)
        self._stages = BoundedLabel(label_limit)
        self._models = BoundedLabel(label_limit)
        self._roles = BoundedLabel(label_limit)
        registry = self.registry
        self._deliveries = Counter(
            "specbot_webhook_deliveries",
            "Webhook deliveries by event and outcome (queued, duplicate, ignored, pong, "
            "refused, unavailable).",
            ["event", "outcome"],
            registry=registry,
        )
        self._runs = Counter(
            "specbot_runs_finished",
            "Pipeline runs that ended, by flow and state.",
            ["flow", "state"],
            registry=registry,
        )
        self._stage_seconds = Histogram(
            "specbot_stage_duration_seconds",
            "How long stages that finished took.",
            ["flow", "stage"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self._stage_failures = Counter(
            "specbot_stage_failures",
            "Stage attempts that failed.",
            ["flow", "stage"],
            registry=registry,
        )
        self._model_calls = Counter(
            "specbot_model_calls", "Model responses.", ["model", "role"], registry=registry
        )
        self._tokens = Counter(
            "specbot_model_tokens",
            "Model tokens by kind (input, output, cache_read, cache_write).",
            ["model", "role", "kind"],
            registry=registry,
        )
        self._cost = Counter(
            "specbot_model_cost_usd",
            "What the model calls cost, in US dollars.",
            ["model", "role"],
            registry=registry,
        )
        self._retries = Counter(
            "specbot_model_retries",
            "Model calls retried, by the HTTP status that made them retry.",
            ["status"],
            registry=registry,
        )
        self._github_calls = Counter(
            "specbot_github_api_calls",
            "HTTP requests to GitHub's API (retries included), by method and status class.",
            ["method", "status_class"],
            registry=registry,
        )
        self._lock = threading.Lock()
        # By id, held weakly: the watched objects need not be hashable.
        self._breakers: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._rate_limits: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        registry.register(_Watched(self))

    # hooks ---------------------------------------------------------------------------------
    def observe_delivery(self, event: str, outcome: str) -> None:
        """One webhook delivery answered: its ``X-GitHub-Event`` and what became of it."""
        self._deliveries.labels(
            one_of(event, GITHUB_EVENTS), one_of(outcome, DELIVERY_OUTCOMES)
        ).inc()

    def observe_run_finished(self, flow: str, state: str) -> None:
        """A pipeline run ended in ``state`` (succeeded, failed, cancelled, interrupted)."""
        self._runs.labels(self._flows(flow), one_of(state, RUN_STATES)).inc()

    def observe_event(self, event_type: str, payload: Mapping[str, Any], flow: str) -> None:
        """One event a run recorded (the design's payloads); types without a metric pass."""
        observe = self._event_observers.get(event_type)
        if observe is not None and isinstance(payload, Mapping):
            observe(self, payload, self._flows(flow))

    def observe_github_call(self, method: str, status: int | None) -> None:
        """One HTTP request to GitHub answered ``status`` (None: no answer)."""
        self._github_calls.labels(one_of(method, HTTP_METHODS), status_class(status)).inc()

    def watch_breaker(self, breaker: Breaker) -> None:
        """Report ``breaker``'s state at each scrape (the worst of all watched) while it lives."""
        with self._lock:
            self._breakers[id(breaker)] = breaker

    def watch_rate_limit(self, client: RateLimited) -> None:
        """Report ``client``'s rate limit left at each scrape while it lives (see ``_Watched``)."""
        with self._lock:
            self._rate_limits[id(client)] = client

    # events --------------------------------------------------------------------------------
    def _stage_finished(self, payload: Mapping[str, Any], flow: str) -> None:
        seconds = payload.get("seconds")
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            stage = self._stages(payload.get("stage"))
            self._stage_seconds.labels(flow, stage).observe(_amount(seconds))

    def _stage_failed(self, payload: Mapping[str, Any], flow: str) -> None:
        self._stage_failures.labels(flow, self._stages(payload.get("stage"))).inc()

    def _model_response(self, payload: Mapping[str, Any], flow: str) -> None:
        model, role = self._models(payload.get("model")), self._roles(payload.get("role"))
        self._model_calls.labels(model, role).inc()
        usage = payload.get("usage")
        usage = usage if isinstance(usage, Mapping) else {}
        for field, kind in TOKEN_KINDS.items():
            self._tokens.labels(model, role, kind).inc(_amount(usage.get(field)))
        self._cost.labels(model, role).inc(_amount(payload.get("cost_usd")))

    def _model_retry(self, payload: Mapping[str, Any], flow: str) -> None:
        self._retries.labels(status_code(payload.get("status"))).inc()

    _event_observers: dict[str, Callable[[Metrics, Mapping[str, Any], str], None]] = {
        "stage.finished": _stage_finished,
        "stage.failed": _stage_failed,
        "model.response": _model_response,
        "model.retry": _model_retry,
    }

    # scrape-time readings ------------------------------------------------------------------
    def breaker_state(self) -> int | None:
        """The worst state of the watched breakers (0 closed, 1 half-open, 2 open), or None."""
        with self._lock:
            breakers = list(self._breakers.values())
        states = [BREAKER_STATES.get(breaker.state) for breaker in breakers]
        known = [state for state in states if state is not None]
        return max(known) if known else None

    def rate_limit(self) -> tuple[int, int] | None:
        """``(remaining, limit)`` of the watched client closest to its limit, or None.

        A client's figures count only until their window resets: after that it has its whole
        limit again, whatever it last heard. Each installation token has its own limit.
        """
        with self._lock:
            clients = list(self._rate_limits.values())
        now = self._clock()
        windows = []
        for client in clients:
            remaining, limit = client.rate_limiting
            if limit > 0 and remaining >= 0 and client.rate_limiting_resettime > now:
                windows.append((remaining / limit, remaining, limit))
        if not windows:
            return None
        _, remaining, limit = min(windows)
        return remaining, limit


class _Watched(Collector):
    """The breaker's state and the rate limit left, read at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterable[Metric]:
        """The families ``collect`` yields, without reading anything."""
        return self._families()

    def collect(self) -> Iterable[Metric]:
        """The families with their current values."""
        breaker, rate, limit = self._families()
        state = self._metrics.breaker_state()
        if state is not None:
            breaker.add_metric([], state)
        found = self._metrics.rate_limit()
        if found is not None:
            rate.add_metric([], found[0])
            limit.add_metric([], found[1])
        return [breaker, rate, limit]

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "specbot_model_circuit_breaker_state",
                "The model circuit breaker: 0 closed, 1 half-open (next call is a trial), "
                "2 open (calls refused). Absent where no model is called.",
            ),
            GaugeMetricFamily(
                "specbot_github_rate_limit_remaining",
                "Requests left in the current rate-limit window of the GitHub token closest "
                "to its limit.",
            ),
            GaugeMetricFamily(
                "specbot_github_rate_limit_limit",
                "The rate limit (requests per window) of that same token.",
            ),
        ]


METRICS = Metrics()

__all__ = ["BREAKER_STATES", "METRICS", "Breaker", "Metrics", "RateLimited"]
