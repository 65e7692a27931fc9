"""The event bus: the append-only log, storm limits, and one durable delivery per subscriber."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dbos import DBOS

from bot.adapters.durable._delivery import DELIVERY_WORKFLOW, delivery_workflow
from bot.adapters.durable._settings import EngineSettings
from bot.adapters.durable._tables import EventLog
from bot.orchestra import Catalog, Event
from bot.orchestra._catalog import delivery_queue

if TYPE_CHECKING:
    from bot.adapters.durable._client import EngineClient


class EventBus:
    """Publishes events: log first (refused past the chain's cap), then one delivery run per
    matching subscriber, with the id ``event:<event-id>:<subscriber>`` so nothing is delivered
    twice however often an event is published."""

    def __init__(
        self,
        catalog: Catalog,
        log: EventLog,
        settings: EngineSettings,
        enqueue: Callable[..., str],
    ) -> None:
        self._catalog = catalog
        self._log = log
        self._settings = settings
        self._enqueue = enqueue
        self._client: EngineClient | None = None

    def close(self) -> None:
        """Release the client used for deliveries from inside steps."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def publish(self, event: Event) -> list[str]:
        """Log ``event`` and deliver it to each matching subscriber; returns their names."""
        subscribers = self.record(event)
        self.deliver(event, subscribers)
        return subscribers

    def record(self, event: Event) -> list[str]:
        """Log ``event`` (refusing one a handler caused past the chain's storm cap); return who
        subscribes to it. What a stage records (a review's blackboard) is never refused: only
        handlers setting each other off make a storm."""
        if not self._log.contains(event.event_id):
            if event.causation_id is not None:
                self._catalog.storm.check(event, self._log.count_chain(event.correlation_id))
            self._log.append(event)
        return [s.name for s in self._catalog.subscriptions.values() if s.wants(event)]

    def deliver(self, event: Event, subscribers: list[str]) -> None:
        """Enqueue one delivery run per subscriber, on its rate-limited queue."""
        for name in subscribers:
            arguments: tuple[Any, ...] = (name, event.model_dump(mode="json"))
            workflow_id = f"event:{event.event_id}:{name}"
            if DBOS.step_id is not None:
                # Inside a step the engine may not start workflows; a client enqueue is a
                # plain insert, and the fixed id keeps a retried step from delivering twice.
                self._step_client().enqueue(
                    DELIVERY_WORKFLOW, delivery_queue(name), *arguments, workflow_id=workflow_id
                )
            else:
                self._enqueue(
                    delivery_queue(name), delivery_workflow, *arguments, workflow_id=workflow_id
                )

    def _step_client(self) -> EngineClient:
        from bot.adapters.durable._client import EngineClient

        if self._client is None:
            self._client = EngineClient(self._settings)
        return self._client

    def replay(self, correlation_id: str, subscriber: str) -> list[Event]:
        """Feed a run's logged events, in order, to one subscriber's handler again, here and
        now; returns the events it causes (not published: for audits and what-ifs)."""
        subscription = self._catalog.subscription(subscriber)
        caused: list[Event] = []
        for event in self._log.chain(correlation_id):
            if subscription.wants(event):
                caused.extend(subscription.handler(event))
        return caused
