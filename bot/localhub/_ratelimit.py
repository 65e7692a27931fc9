"""Primary rate limits per caller, with the headers GitHub sends on every response."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

WINDOW_SECONDS = 3600
LIMITS = {"anonymous": 60, "user": 5000, "installation": 5000, "actions": 1000, "app": 5000}
RESOURCE_LIMITS = {"search": 30, "graphql": 5000}


@dataclass(frozen=True)
class RateWindow:
    """One caller's budget for one resource."""

    limit: int
    used: int
    reset: int
    resource: str

    @property
    def remaining(self) -> int:
        """Requests left in this window."""
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*``."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": self.resource,
        }


class RateLimits:
    """Counters per (caller, resource), reset every hour."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}

    def _limit(self, kind: str, resource: str) -> int:
        return RESOURCE_LIMITS.get(resource, LIMITS.get(kind, 5000))

    def take(self, bucket: str, kind: str, resource: str, cost: int = 1) -> RateWindow:
        """Count one request (``cost=0`` peeks) and return the window after it."""
        now = int(time.time())
        with self._lock:
            used, reset = self._windows.get((bucket, resource), (0, now + WINDOW_SECONDS))
            if reset <= now:
                used, reset = 0, now + WINDOW_SECONDS
            used += cost
            self._windows[(bucket, resource)] = (used, reset)
        return RateWindow(self._limit(kind, resource), used, reset, resource)

    def peek(self, bucket: str, kind: str, resource: str) -> RateWindow:
        """The window without counting a request."""
        return self.take(bucket, kind, resource, cost=0)
