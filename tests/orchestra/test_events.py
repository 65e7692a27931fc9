"""The event-driven pattern: the event model, wildcards and filters, the log, replay, storms."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from pydantic import BaseModel, ValidationError

from bot.orchestra import (
    Catalog,
    Event,
    Pipeline,
    RateLimit,
    Stage,
    StageContext,
    StormError,
    StormLimits,
    Subscription,
    matches,
)
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("review.*.failed", "review.security.failed", True),
        ("review.*.failed", "review.security.passed", False),
        ("review.*.failed", "review.failed", False),
        ("review.*.failed", "review.a.b.failed", False),
        ("review.#", "review", True),
        ("review.#", "review.security.failed", True),
        ("#.failed", "pipeline.stage.failed", True),
        ("spec.ready", "spec.ready", True),
        ("spec.ready", "spec.readyish", False),
    ],
)
def test_topic_patterns(pattern: str, event_type: str, expected: bool) -> None:
    """'*' matches exactly one word and '#' any number of words."""
    assert matches(pattern, event_type) is expected


def test_bad_patterns_and_types_are_refused() -> None:
    """Malformed patterns and event types are errors, not silent non-matches."""
    with pytest.raises(ValueError, match="bad event pattern"):
        matches("review..failed", "review.x.failed")
    with pytest.raises(ValidationError):
        Event(event_type="Review Failed", source_agent="x")


def _noop(event: Event) -> Sequence[Event]:
    return []


def test_filters_look_into_the_payload() -> None:
    """A subscription's equality filters on dotted payload paths must all hold."""
    sub = Subscription(
        "s", ("review.*.failed",), _noop, where={"repo.name": "widgets", "severity": "major"}
    )
    base = {"event_type": "review.security.failed", "source_agent": "security"}
    assert sub.wants(Event(**base, payload={"repo": {"name": "widgets"}, "severity": "major"}))
    assert not sub.wants(Event(**base, payload={"repo": {"name": "gadgets"}, "severity": "major"}))
    assert not sub.wants(Event(**base, payload={"severity": "major"}))


def test_follow_up_events_join_the_chain_with_stable_ids() -> None:
    """A caused event keeps the correlation id, names its cause, and gets the same id twice."""
    root = Event(event_type="spec.ready", source_agent="gate")
    assert root.correlation_id == root.event_id and root.causation_id is None
    child = root.follow("plan.done", "planner", {"steps": 3})
    assert (child.correlation_id, child.causation_id) == (root.event_id, root.event_id)
    assert child.event_id == root.follow("plan.done", "planner").event_id
    assert child.event_id != root.follow("plan.done", "planner", seq=1).event_id


def _record(name: str) -> Subscription:
    def handle(event: Event) -> Sequence[Event]:
        Ledger.from_env().record("delivered", f"{name}:{event.event_type}")
        if event.event_type == "review.security.failed":
            return [event.follow("fix.requested", name, {"because": event.event_id})]
        return []

    return Subscription(name, ("review.*.failed", "fix.#"), handle)


def test_published_events_are_logged_delivered_and_replayable(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Matching subscribers get the event once, caused events join the log, replay re-reads it."""
    catalog = Catalog().add(*flows.FAST_QUEUES, _record("fixer"))
    catalog.add(Subscription("bystander", ("spec.#",), _noop))
    engine = start_engine(catalog)
    root = Event(event_type="review.security.failed", source_agent="security", payload={"pr": 7})
    assert engine.publish(root) == ["fixer"]
    assert engine.publish(root) == ["fixer"]  # a redelivery is not a second delivery
    ledger.wait_for("delivered", "fixer:fix.requested", timeout=20)
    engine.result(f"event:{root.follow('fix.requested', 'fixer').event_id}:fixer", timeout=20)
    chain = engine.events.chain(root.correlation_id)
    assert [e.event_type for e in chain] == ["review.security.failed", "fix.requested"]
    assert chain[1].causation_id == root.event_id and chain[1].source_agent == "fixer"
    assert ledger.count("delivered", "fixer:review.security.failed") == 1
    assert ledger.count("delivered", "fixer:fix.requested") == 1
    replayed = engine.replay(root.correlation_id, "fixer")
    assert [e.event_type for e in replayed] == ["fix.requested"]
    assert ledger.count("delivered", "fixer:review.security.failed") == 2


def test_an_event_storm_is_cut_at_the_chain_cap(start_engine: StartEngine, ledger: Ledger) -> None:
    """Two subscribers answering each other forever stop when the chain holds its cap of events;
    only what handlers cause is refused."""

    def ping(event: Event) -> Sequence[Event]:
        return [event.follow("pong" if event.event_type == "ping" else "ping", "echo")]

    catalog = Catalog().add(*flows.FAST_QUEUES, Subscription("echo", ("ping", "pong"), ping))
    catalog.storm = StormLimits(max_events_per_chain=6)
    engine = start_engine(catalog)
    root = Event(event_type="ping", source_agent="test")
    engine.publish(root)
    deadline = time.monotonic() + 20
    while len(engine.events.chain(root.correlation_id)) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    last = engine.events.chain(root.correlation_id)[-1]
    delivery = f"event:{last.event_id}:echo"
    while not engine.exists(delivery) and time.monotonic() < deadline:
        time.sleep(0.05)  # the delivery is enqueued just after the event is logged
    outcome = engine.result(delivery, timeout=20)
    assert "limit 6" in outcome["caused"][0]["refused"]
    assert len(engine.events.chain(root.correlation_id)) == 6
    with pytest.raises(StormError, match="limit 6"):
        engine.publish(last.follow("ping", "x", seq=1))
    # a record no handler caused (a stage's note on its run) is kept past the cap
    note = Event(event_type="note", source_agent="stage", correlation_id=root.correlation_id)
    assert engine.publish(note) == []
    assert len(engine.events.chain(root.correlation_id)) == 7


def test_subscriber_rate_limit_spreads_deliveries(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A subscriber limited to 2 deliveries a second gets 4 events over at least one second."""

    def handle(event: Event) -> Sequence[Event]:
        Ledger.from_env().record("delivered", event.event_id)
        return []

    catalog = Catalog().add(
        *flows.FAST_QUEUES,
        Subscription(
            "slowpoke", ("tick",), handle, rate_limit=RateLimit(limit=2, period_seconds=1.0)
        ),
    )
    engine = start_engine(catalog)
    events = [Event(event_type="tick", source_agent="clock") for _ in range(4)]
    for event in events:
        engine.publish(event)
    runs = [f"event:{event.event_id}:slowpoke" for event in events]
    for run in runs:
        engine.result(run, timeout=20)
    starts = sorted(engine.describe(run).dequeued_at_ms or 0 for run in runs)
    assert ledger.count("delivered") == 4
    assert starts[2] - starts[0] >= 900, starts
    assert starts[3] - starts[1] >= 900, starts


def test_stages_emit_events_into_their_run_chain(start_engine: StartEngine, ledger: Ledger) -> None:
    """A stage's event joins the chain named by its run id and reaches subscribers once,
    even though it is published from inside a step."""

    def announce(context: StageContext, spec: BaseModel) -> BaseModel:
        context.emit("plan.ready", {"steps": 2})
        context.emit("plan.ready", {"steps": 2})  # the same event again: no second delivery
        return spec

    def audit(event: Event) -> Sequence[Event]:
        Ledger.from_env().record("audited", event.event_type, event.correlation_id)
        return []

    catalog = Catalog().add(
        *flows.FAST_QUEUES,
        Pipeline("announcing", [Stage("plan", flows.Spec, flows.Spec, announce)]),
        Subscription("audit", ("plan.*",), audit),
    )
    engine = start_engine(catalog)
    engine.result(engine.start_pipeline("announcing", {"text": "x"}, workflow_id="run-7"))
    ledger.wait_for("audited", "plan.ready", timeout=20)
    chain = engine.events.chain("run-7")
    # The engine's own stage events open and close the stage's part of the chain.
    assert [e.event_type for e in chain] == ["stage.started", "plan.ready", "stage.finished"]
    event = chain[1]
    assert (event.event_type, event.source_agent, event.payload) == (
        "plan.ready",
        "announcing.plan",
        {"steps": 2},
    )
    time.sleep(0.5)
    assert [(key, who) for key, who, _ in ledger.rows("audited")] == [("plan.ready", "run-7")]
