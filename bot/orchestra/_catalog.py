"""The catalog: every pattern a process can run, by name.

Durable runs record a pattern's *name*, never its code, so every worker process builds the same
catalog (import the same flow modules) and a recovered run finds its definition again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from bot.orchestra._events import StormLimits, Subscription
from bot.orchestra._pipeline import Pipeline
from bot.orchestra._queues import QueueSpec, RateLimit, default_queues, default_rate_limits

T = TypeVar("T")


def delivery_queue(subscriber: str) -> str:
    """The queue a subscriber's deliveries wait on."""
    return f"events.{subscriber}"


class UnknownPatternError(KeyError):
    """A run names a pattern this process's catalog does not hold."""


@dataclass
class Catalog:
    """Pipelines, subscriptions and queues known to this process."""

    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    queues: dict[str, QueueSpec] = field(
        default_factory=lambda: {q.name: q for q in default_queues()}
    )
    storm: StormLimits = field(default_factory=StormLimits)
    rate_limits: dict[str, RateLimit] = field(default_factory=default_rate_limits)

    def add(self, *items: Pipeline | Subscription | QueueSpec) -> Catalog:
        """Register definitions; a name used twice within one kind is an error.

        A queue may be registered again: that replaces the default of the same name.
        """
        for item in items:
            if isinstance(item, QueueSpec):
                self.queues[item.name] = item
            elif isinstance(item, Pipeline):
                _put(self.pipelines, item.name, item)
            else:
                _put(self.subscriptions, item.name, item)
                # Each subscriber reads its own queue, so its rate limit holds across workers.
                self.queues[delivery_queue(item.name)] = QueueSpec(
                    name=delivery_queue(item.name),
                    rate_limit=item.rate_limit,
                    polling_interval_seconds=0.1,
                )
        return self

    def merge(self, other: Catalog) -> Catalog:
        """Add every definition of ``other`` (queues of ``other`` win over defaults)."""
        self.add(*other.pipelines.values())
        self.add(*other.subscriptions.values())
        self.add(*other.queues.values())
        return self

    def pipeline(self, name: str) -> Pipeline:
        """The pipeline called ``name``."""
        return _get(self.pipelines, name, "pipeline")

    def subscription(self, name: str) -> Subscription:
        """The subscription called ``name``."""
        return _get(self.subscriptions, name, "subscriber")

    def queue(self, name: str) -> QueueSpec:
        """The queue called ``name``."""
        return _get(self.queues, name, "queue")


def _put(table: dict[str, T], name: str, item: T) -> None:
    if name in table:
        raise ValueError(f"{type(item).__name__} {name!r} is already registered")
    table[name] = item


def _get(table: dict[str, T], name: str, kind: str) -> T:
    try:
        return table[name]
    except KeyError:
        raise UnknownPatternError(f"no {kind} named {name!r} in this process's catalog") from None
