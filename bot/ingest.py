"""The ingest pipeline: one durable run per webhook delivery that hands the event to the Router.

The web server only stores a delivery (one row in the webhook inbox) and answers; an inbox
pump then enqueues this pipeline under ``delivery:<id>``, and the dispatch happens here,
inside the durable engine, so a crash between the acknowledgement and the handlers loses
nothing and a redelivery (same id) is the same run.
Every process that serves runs builds the same pipeline from the same Router.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, Field

from bot.orchestra import Catalog, Pipeline, QueueSpec, RetryPolicy, Stage, StageContext
from bot.routing import Router
from bot.webhooks import Event

INGEST_PIPELINE = "ingest"
INGEST_QUEUE = "ingest"

IngestRouter = Router[StageContext]
ContextT = TypeVar("ContextT")


class Delivery(BaseModel):
    """One verified webhook delivery as stored in the engine: event name, id and payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: str = Field(min_length=1)
    delivery_id: str = Field(min_length=1)
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> Delivery:
        """The stored form of a decoded ``Event``."""
        return cls(event=event.name, delivery_id=event.delivery_id, payload=dict(event.payload))

    def to_event(self) -> Event:
        """The ``Event`` handlers receive."""
        return Event(name=self.event, delivery_id=self.delivery_id, payload=self.payload)


class Dispatched(BaseModel):
    """What the dispatch did: how many handlers ran for the delivery."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: str
    delivery_id: str
    handlers: int


def ingest_pipeline(
    router: Router[ContextT], context_for: Callable[[Event, StageContext], ContextT]
) -> Pipeline:
    """The one-stage pipeline that dispatches a stored delivery through ``router``.

    Handlers get what ``context_for`` makes of the event and the stage's ``StageContext``
    (run id, idempotency key, throttle, emit); ``plain_context`` passes the latter on. A
    failing handler makes the dispatch run again (three attempts, then the delivery is a dead
    letter, retried with ``specbot runs retry``), and every handler runs again with it: a
    handler must be idempotent, e.g. start its flow under the flow's own run id so that a
    repeat finds the run already started.
    """

    def dispatch(context: StageContext, delivery: Delivery) -> Dispatched:
        event = delivery.to_event()
        with structlog.contextvars.bound_contextvars(
            delivery_id=event.delivery_id, github_event=event.name, run_id=context.run_id
        ):
            handlers = router.fetch(event)
            log = structlog.get_logger("specbot.ingest")
            log.info("dispatching", action=event.action, handlers=len(handlers))
            handler_context = context_for(event, context)
            for handler in handlers:
                handler(event, handler_context)
        return Dispatched(event=event.name, delivery_id=event.delivery_id, handlers=len(handlers))

    retry = RetryPolicy(max_attempts=3, interval_seconds=2.0, backoff_rate=2.0)
    stage = Stage("dispatch", Delivery, Dispatched, dispatch, retry=retry)
    return Pipeline(INGEST_PIPELINE, [stage], queue=INGEST_QUEUE)


def ingest_queue() -> QueueSpec:
    """The ingest queue, polled often: a delivery's first reaction should come within seconds."""
    return QueueSpec(name=INGEST_QUEUE, global_concurrency=8, polling_interval_seconds=0.2)


def plain_context(_event: Event, context: StageContext) -> StageContext:
    """The context of a plain ``IngestRouter``'s handlers: the ingest stage's own."""
    return context


def ingest_catalog(router: IngestRouter) -> Catalog:
    """A catalog holding the ingest pipeline over a plain router and its queue."""
    return Catalog().add(ingest_pipeline(router, plain_context), ingest_queue())
