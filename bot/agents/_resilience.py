"""Retries with backoff and a circuit breaker around any ``ModelPort``.

This is the only retry layer: the SDK client runs with ``max_retries=0`` so attempts do not
multiply (SDK retries times ours times the durable engine's).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.agents._model import (
    ModelPort,
    ModelRequest,
    ModelResponse,
    ModelUnavailableError,
    TransientModelError,
)
from bot.agents._pacing import Backpressure, InputRateLimit

OnEvent = Callable[[str, dict[str, Any]], None]


def _ignore_event(event_type: str, payload: dict[str, Any]) -> None:
    """An ``on_event`` that records nothing."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0  # a server asking for longer than this is treated as down
    max_rate_limited: int = 20  # 429s one call waits out before giving up (back-pressure)

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class CircuitOpenError(ModelUnavailableError):
    """The breaker is open: too many consecutive failures, calls refused for a while."""


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures and refuses calls for ``cooldown``
    seconds; then lets one trial call through, whose success closes it again."""

    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._last_error = ""
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """Whether calls are currently refused."""
        with self._lock:
            return self._refusal_left() > 0

    @property
    def state(self) -> str:
        """``closed``, ``open`` (refusing calls) or ``half_open`` (the next call is a trial)."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "open" if self._refusal_left() > 0 else "half_open"

    def _refusal_left(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self._clock())

    def _open_error(self, why: str) -> CircuitOpenError:
        return CircuitOpenError(
            f"model circuit breaker open after {self._failures} consecutive failures "
            f"(last: {self._last_error}); {why}"
        )

    def raise_if_open(self) -> None:
        """Raise ``CircuitOpenError`` while the breaker refuses calls."""
        with self._lock:
            left = self._refusal_left()
            if left > 0:
                raise self._open_error(f"next attempt allowed in {left:.1f} s")

    def before_call(self) -> None:
        """Admit a call, or raise ``CircuitOpenError``; after the cooldown admit one trial."""
        self.raise_if_open()
        with self._lock:
            if self._opened_at is None:
                return
            if self._trial_in_flight:
                raise self._open_error("a trial call is in progress")
            self._trial_in_flight = True

    def record_success(self) -> None:
        """A call succeeded: close the breaker and reset the count."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self, error: Exception) -> None:
        """A call failed: count it, and open (or re-open, after a failed trial) at the threshold."""
        with self._lock:
            self._failures += 1
            self._last_error = str(error)
            self._trial_in_flight = False
            if self._failures >= self.threshold:
                self._opened_at = self._clock()

    def release(self) -> None:
        """A call ended in a way that says nothing about availability (a bad request)."""
        with self._lock:
            self._trial_in_flight = False


class ResilientModel:
    """A ``ModelPort`` that retries transient failures and stops calling a model that is down.

    One instance is shared by every agent of a process, so its pacing is too: a 429 holds all
    callers for its ``retry-after`` (and does not count toward the breaker), and an optional
    ``InputRateLimit`` spreads input tokens over the minute.
    """

    def __init__(
        self,
        inner: ModelPort,
        *,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_event: OnEvent | None = None,
        clock: Callable[[], float] = time.monotonic,
        input_limit: InputRateLimit | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._on_event = on_event or _ignore_event
        self.backpressure = Backpressure(clock, sleep)
        self.input_limit = input_limit

    def complete(self, request: ModelRequest) -> ModelResponse:
        """Call the inner model, retrying transient failures with backoff."""
        attempt = 0
        limited = 0
        while True:
            self._pace(request)
            self.breaker.before_call()
            try:
                response = self.inner.complete(request)
            except TransientModelError as exc:
                if exc.status == 429 or exc.error_type == "rate_limit_error":
                    self.breaker.release()  # the account is busy; the model is not down
                    limited += 1
                    self._hold_everyone(request, limited, exc)
                    continue
                attempt += 1
                self.breaker.record_failure(exc)
                self.breaker.raise_if_open()  # at once, if this failure opened it
                delay = self._delay_before_retry(attempt, exc)
                self._emit_retry(request, attempt, exc, delay)
                self._sleep(delay)
                continue
            except BaseException:
                self.breaker.release()
                raise
            self.breaker.record_success()
            if self.input_limit is not None:
                usage = response.usage
                self.input_limit.record(usage.input_tokens + usage.cache_creation_input_tokens)
            return response

    def _pace(self, request: ModelRequest) -> None:
        """Wait out a hold another caller's 429 set, then the input-token limit."""
        waited = self.backpressure.wait()
        if self.input_limit is not None:
            waited += self.input_limit.wait()
        if waited > 0:
            self._on_event("model.paced", {"agent": request.agent, "seconds": round(waited, 3)})

    def _hold_everyone(self, request: ModelRequest, limited: int, exc: TransientModelError) -> None:
        """A 429: hold every caller for its retry-after (or a backoff) and wait it out here."""
        if limited > self.policy.max_rate_limited:
            raise ModelUnavailableError(
                f"model still rate-limited after {limited - 1} waits; last error: {exc}"
            ) from exc
        delay = self._asked_delay(exc)
        if delay is None:
            delay = self.policy.backoff(limited, self._rng)
        self.backpressure.hold(delay)
        self._emit_retry(request, limited, exc, delay)
        self._sleep(delay)

    def _emit_retry(
        self, request: ModelRequest, attempt: int, exc: TransientModelError, delay: float
    ) -> None:
        self._on_event(
            "model.retry",
            {
                "agent": request.agent,
                "attempt": attempt,
                "status": exc.status,
                "error_type": exc.error_type,
                "delay_seconds": delay,
            },
        )

    def close(self) -> None:
        """Close the inner model's connections, if it holds any."""
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()

    def _delay_before_retry(self, attempt: int, exc: TransientModelError) -> float:
        """The wait before the next attempt, or raise when no attempt is left."""
        if attempt >= self.policy.max_attempts:
            raise ModelUnavailableError(
                f"model call failed after {attempt} attempts; last error: {exc}"
            ) from exc
        asked = self._asked_delay(exc)
        return asked if asked is not None else self.policy.backoff(attempt, self._rng)

    def _asked_delay(self, exc: TransientModelError) -> float | None:
        """The server's ``retry-after``, or raise when it asks for longer than allowed."""
        if exc.retry_after is None:
            return None
        if exc.retry_after > self.policy.max_retry_after:
            raise ModelUnavailableError(
                f"model asked to retry after {exc.retry_after:.0f} s, longer than the "
                f"{self.policy.max_retry_after:.0f} s allowed; last error: {exc}"
            ) from exc
        return max(0.0, exc.retry_after)
