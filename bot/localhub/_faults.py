"""Fault injection: errors, latency and rate limits per route pattern, dropped deliveries."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pydantic import BaseModel, Field


class FaultRule(BaseModel):
    """One fault, applied to requests whose ``METHOD /path`` or path matches ``pattern``.

    ``pattern`` is a shell-style glob, e.g. ``POST /api/v3/repos/*/issues`` or
    ``/api/v3/repos/*``; for ``drop_webhooks`` it is matched against ``event.action``
    (``issues.opened``, ``push``).
    """

    pattern: str = "*"
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    status: int = Field(default=500)
    latency_ms: int = Field(default=0, ge=0)
    rate_limit: bool = False
    # seconds until X-RateLimit-Reset of a ``rate_limit`` fault; None: the caller's real window
    reset_after: int | None = Field(default=None, ge=0)
    secondary_rate_limit: bool = False
    retry_after: int = Field(default=60, ge=0)
    drop_webhooks: float = Field(default=0.0, ge=0.0, le=1.0)
    times: int | None = Field(default=None, ge=1)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    latency_ms: int = 0
    status: int | None = None
    rate_limit: bool = False
    secondary_retry_after: int | None = None
    rate_limit_reset_after: int | None = None


ALLOWED_STATUSES = (500, 502, 503)


class Faults:
    """The active fault rules and a seeded random source, so runs are repeatable."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: dict[int, FaultRule] = {}
        self._next = 1
        self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> int:
        """Activate a rule; returns its id."""
        if rule.error_rate and rule.status not in ALLOWED_STATUSES:
            raise ValueError(f"fault status must be one of {ALLOWED_STATUSES}, not {rule.status}")
        with self._lock:
            ident = self._next
            self._next += 1
            self._rules[ident] = rule
            return ident

    def remove(self, ident: int) -> bool:
        """Deactivate one rule; False when it was not active."""
        with self._lock:
            return self._rules.pop(ident, None) is not None

    def clear(self) -> None:
        """Deactivate every rule."""
        with self._lock:
            self._rules.clear()

    def reseed(self, seed: int) -> None:
        """Restart the random source, for a repeatable sequence of faults."""
        with self._lock:
            self._random = random.Random(seed)

    def rules(self) -> dict[int, FaultRule]:
        """The active rules by id."""
        with self._lock:
            return dict(self._rules)

    def _consume(self, ident: int, rule: FaultRule) -> None:
        if rule.times is not None:
            left = rule.times - 1
            if left <= 0:
                self._rules.pop(ident, None)
            else:
                self._rules[ident] = rule.model_copy(update={"times": left})

    def for_request(self, method: str, path: str) -> FaultDecision:
        """The faults that apply to one request (latency adds up; the first error wins)."""
        latency = 0
        status: int | None = None
        rate_limit = False
        reset_after: int | None = None
        retry_after: int | None = None
        with self._lock:
            for ident, rule in list(self._rules.items()):
                if rule.drop_webhooks and not (rule.error_rate or rule.latency_ms):
                    continue
                if not (
                    fnmatchcase(f"{method} {path}", rule.pattern) or fnmatchcase(path, rule.pattern)
                ):
                    continue
                latency += rule.latency_ms
                if rule.rate_limit:
                    rate_limit = True
                    reset_after = rule.reset_after if reset_after is None else reset_after
                elif rule.secondary_rate_limit:
                    retry_after = rule.retry_after
                elif status is None and rule.error_rate and self._random.random() < rule.error_rate:
                    status = rule.status
                self._consume(ident, rule)
        return FaultDecision(latency, status, rate_limit, retry_after, reset_after)

    def drops_delivery(self, event: str, action: str | None) -> bool:
        """Whether a webhook delivery of ``event.action`` is lost on the way."""
        name = f"{event}.{action}" if action else event
        with self._lock:
            for ident, rule in list(self._rules.items()):
                matches = fnmatchcase(name, rule.pattern) or fnmatchcase(event, rule.pattern)
                if rule.drop_webhooks and matches and self._random.random() < rule.drop_webhooks:
                    self._consume(ident, rule)
                    return True
        return False
