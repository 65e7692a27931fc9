"""The scripted model's request log: every request it received and what it answered."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

# Headers that carry credentials are never recorded, so a log can be shared or printed safely.
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers with credential-bearing ones replaced by a marker."""
    return {
        name.lower(): ("<redacted>" if name.lower() in _SECRET_HEADERS else value)
        for name, value in headers.items()
    }


class LoggedRequest(BaseModel):
    """One request and the answer given (a reply with ``usage``, or an error)."""

    model_config = ConfigDict(frozen=True)

    index: int
    path: str
    stream: bool
    headers: dict[str, str]
    body: Any
    status: int
    turn: str | None = None
    conversation_turn: int | None = None
    error_type: str | None = None
    usage: dict[str, int] | None = None


class RequestLog:
    """Thread-safe, append-only record of requests, readable while the server runs."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> LoggedRequest:
        """Record one answered request; the log numbers it."""
        with self._lock:
            entry = LoggedRequest(index=len(self._entries), **fields)
            self._entries.append(entry)
        return entry

    def entries(self, *, path: str | None = None) -> list[LoggedRequest]:
        """A snapshot of the entries, optionally only those for one path."""
        with self._lock:
            snapshot = list(self._entries)
        return [e for e in snapshot if path is None or e.path == path]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
