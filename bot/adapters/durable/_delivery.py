"""Event delivery as a durable workflow: one run per (event, subscriber), on the subscriber's
rate-limited queue; the events a handler causes are published with derived, stable ids."""

from __future__ import annotations

from dbos import DBOS

from bot.adapters.durable import _runtime
from bot.orchestra import Event, JsonObject, StormError

DELIVERY_WORKFLOW = "specbot.event_delivery"


def _handle(subscriber: str, event: JsonObject) -> list[JsonObject]:
    subscription = _runtime.active().catalog.subscription(subscriber)
    caused = subscription.handler(Event.model_validate(event))
    return [item.model_dump(mode="json") for item in caused]


def _record(event: JsonObject) -> JsonObject:
    try:
        subscribers = _runtime.active().bus.record(Event.model_validate(event))
    except StormError as exc:
        DBOS.logger.warning(str(exc))
        return {"event_id": event["event_id"], "refused": str(exc)}
    return {"event_id": event["event_id"], "delivered_to": subscribers}


@DBOS.workflow(name=DELIVERY_WORKFLOW)
def delivery_workflow(subscriber: str, event: JsonObject) -> JsonObject:
    """Run the subscriber's handler once for ``event`` and publish what it causes."""
    engine = _runtime.active()
    caused = DBOS.run_step({"name": f"handle:{subscriber}"}, _handle, subscriber, event)
    published = []
    for item in caused:
        outcome = DBOS.run_step({"name": "record"}, _record, item)
        engine.bus.deliver(Event.model_validate(item), outcome.get("delivered_to", []))
        published.append(outcome)
    return {"subscriber": subscriber, "event_id": event["event_id"], "caused": published}
