"""Pacing for callers that share one model: a rate limit holds them all, and input tokens per
minute are spent evenly instead of in a burst that answers 429.

A 429 says the account is busy, not that the model is down: it must slow every caller of the
model down (the next caller would only get another 429) and must not count toward the circuit
breaker, which would otherwise open for every reviewer of a swarm at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0  # input-token limits are per minute


class Backpressure:
    """A pause shared by every caller: set by a 429's ``retry-after``, waited out by the rest."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._until = 0.0
        self._set_by: int | None = None
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` from now (a longer hold already set stays)."""
        with self._lock:
            until = self._clock() + seconds
            if until > self._until:
                self._until = until
                self._set_by = threading.get_ident()

    def wait(self) -> float:
        """Wait out the current hold, unless this thread set it and already waited; the wait."""
        with self._lock:
            if self._set_by == threading.get_ident():
                self._set_by = None  # the caller that was told to wait has done so itself
                return 0.0
            left = self._until - self._clock()
        if left <= 0:
            return 0.0
        self._sleep(left)
        return left


class InputRateLimit:
    """Input tokens per minute across callers: a call waits while the last minute's are spent.

    What counts is what the API counts against the limit: fresh input and cache writes, not
    cache reads. Calls are measured when they return, so a burst can overshoot by the calls
    already in flight; a 429 then holds everyone through ``Backpressure``.
    """

    def __init__(
        self,
        tokens_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if tokens_per_minute < 1:
            raise ValueError("tokens_per_minute must be at least 1")
        self.tokens_per_minute = tokens_per_minute
        self._clock = clock
        self._sleep = sleep
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Wait until the last minute's input is under the limit; the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                delay = self._delay()
            if delay <= 0:
                return waited
            self._sleep(delay)
            waited += delay

    def record(self, tokens: int) -> None:
        """Count a finished call's input tokens (fresh input and cache writes)."""
        with self._lock:
            self._spent.append((self._clock(), max(0, tokens)))

    def spent(self) -> int:
        """Input tokens counted in the last minute."""
        with self._lock:
            self._forget()
            return sum(tokens for _, tokens in self._spent)

    def _forget(self) -> None:
        cutoff = self._clock() - WINDOW
        while self._spent and self._spent[0][0] <= cutoff:
            self._spent.popleft()

    def _delay(self) -> float:
        """Seconds until enough of the window expires to be under the limit (0: go now)."""
        self._forget()
        total = sum(tokens for _, tokens in self._spent)
        if total < self.tokens_per_minute:
            return 0.0
        for stamp, tokens in self._spent:
            total -= tokens
            if total < self.tokens_per_minute:
                return max(0.001, stamp + WINDOW - self._clock())
        return 0.001  # unreachable: the loop empties the window
