"""Event-driven pattern: the event model, topic patterns, subscriptions and storm limits (pure).

Event types are dot-separated (``review.security.failed``). In a pattern, ``*`` stands for exactly
one segment and ``#`` for any number of segments (zero included), so ``review.*.failed`` matches
``review.security.failed`` and ``review.#`` matches every review event.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.orchestra._contracts import JsonObject
from bot.orchestra._queues import RateLimit

_TYPE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_PATTERN = re.compile(r"^([a-z0-9_-]+|\*|#)(\.([a-z0-9_-]+|\*|#))*$")
_NAMESPACE = uuid.UUID("6f1c1c9e-8d4b-4f5e-9a57-3b1f0d7e2a10")


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """One event: what happened, who said so, and which chain it belongs to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    event_type: str = Field(pattern=_TYPE.pattern)
    timestamp: datetime = Field(default_factory=_now)
    source_agent: str = Field(min_length=1)
    payload: JsonObject = Field(default_factory=dict)
    correlation_id: str = ""
    causation_id: str | None = None

    def model_post_init(self, _context: Any) -> None:
        """A root event starts its own chain: its correlation id is its own id."""
        if not self.correlation_id:
            object.__setattr__(self, "correlation_id", self.event_id)

    def follow(
        self, event_type: str, source_agent: str, payload: JsonObject | None = None, *, seq: int = 0
    ) -> Event:
        """An event caused by this one, with a derived id: a retried handler emits the same id."""
        derived = uuid.uuid5(_NAMESPACE, f"{self.event_id}/{source_agent}/{event_type}/{seq}")
        return Event(
            event_id=str(derived),
            event_type=event_type,
            source_agent=source_agent,
            payload=payload or {},
            correlation_id=self.correlation_id,
            causation_id=self.event_id,
        )


def check_pattern(pattern: str) -> str:
    """Return ``pattern`` if it is a valid topic pattern, else raise ``ValueError``."""
    if not _PATTERN.match(pattern):
        raise ValueError(
            f"bad event pattern {pattern!r}: dot-separated words, '*' (one word) or '#' (any)"
        )
    return pattern


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` matches the topic ``pattern``."""
    return _match(check_pattern(pattern).split("."), event_type.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])


def _lookup(payload: JsonObject, dotted: str) -> Any:
    value: Any = payload
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


_MISSING = object()

EventHandler = Callable[[Event], Sequence[Event]]


@dataclass(frozen=True)
class Subscription:
    """A subscriber's interest: topic patterns, payload filters, its handler and its rate limit.

    ``where`` holds equality filters on payload fields (dotted paths: ``{"repo.name": "x"}``);
    ``predicate`` is an extra test in code. The handler returns the events it causes.
    """

    name: str
    patterns: tuple[str, ...]
    handler: EventHandler
    where: JsonObject = field(default_factory=dict)
    predicate: Callable[[Event], bool] | None = None
    rate_limit: RateLimit | None = None

    def __post_init__(self) -> None:
        if not re.match(r"^[A-Za-z0-9_.-]+$", self.name):
            raise ValueError(f"bad subscriber name {self.name!r}")
        if not self.patterns:
            raise ValueError(f"subscriber {self.name!r} has no pattern")
        for pattern in self.patterns:
            check_pattern(pattern)

    def wants(self, event: Event) -> bool:
        """Whether this subscriber receives ``event``."""
        if not any(matches(p, event.event_type) for p in self.patterns):
            return False
        for dotted, expected in self.where.items():
            if _lookup(event.payload, dotted) != expected:
                return False
        return self.predicate is None or self.predicate(event)


class StormError(RuntimeError):
    """An event chain caused more events than allowed: the event is refused, not delivered."""


@dataclass(frozen=True)
class StormLimits:
    """The most events one chain (one correlation id) may hold.

    The count is read before the append, so publishers racing on one chain can overshoot the
    cap by at most one event each; the cap stops loops, it is not an exact quota.
    """

    max_events_per_chain: int = 200

    def check(self, event: Event, events_in_chain: int) -> None:
        """Raise ``StormError`` if accepting ``event`` would exceed the cap."""
        if events_in_chain >= self.max_events_per_chain:
            raise StormError(
                f"event chain {event.correlation_id} reached {events_in_chain} events "
                f"(limit {self.max_events_per_chain}); refused {event.event_type} "
                f"from {event.source_agent}"
            )
