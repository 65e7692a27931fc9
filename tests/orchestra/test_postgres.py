"""The same patterns on PostgreSQL: one engine, every pattern, the same results as on SQLite."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from bot.orchestra import (
    Catalog,
    Event,
    Pipeline,
    RateLimit,
    Stage,
    StageContext,
    Subscription,
)
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger

pytestmark = pytest.mark.postgres


def test_every_pattern_runs_on_postgres(
    postgres_url: str, start_engine: StartEngine, ledger: Ledger
) -> None:
    """Pipeline, dead letters, members and the event log all work on PostgreSQL."""
    engine = start_engine(flows.catalog, url=postgres_url)
    ok = engine.start_pipeline("four-stages", {"text": "a"}, workflow_id="pg-ok")
    bad = engine.start_pipeline("four-stages", {"text": "fail-check"}, workflow_id="pg-bad")
    members = engine.start_pipeline("members", {"text": "m"}, workflow_id="pg-members")
    assert engine.result(ok, timeout=30) == {"url": "https://example.test/pr/2"}
    assert engine.result(members, timeout=30) == {"text": "a0 b1 c2"}
    assert [ledger.count("member", f"pg-members:{name}") for name in "abc"] == [1, 1, 2]
    with pytest.raises(Exception, match="tests failed"):
        engine.result(bad, timeout=30)
    assert [letter.workflow_id for letter in engine.dead_letters()] == ["pg-bad"]
    root = Event(event_type="spec.ready", source_agent="gate")
    engine.publish(root)
    assert engine.publish(root.follow("plan.done", "planner")) == []
    assert [e.event_type for e in engine.events.chain(root.correlation_id)] == [
        "spec.ready",
        "plan.done",
    ]


def test_budgets_and_stage_events_work_on_postgres(
    postgres_url: str, start_engine: StartEngine, ledger: Ledger
) -> None:
    """The shared call budget spaces calls out and a stage's event reaches its subscriber."""

    def chatty(context: StageContext, spec: BaseModel) -> BaseModel:
        for _ in range(3):
            context.throttle("model")
            Ledger.from_env().record("model-call", context.run_id)
        context.emit("plan.ready")
        return spec

    def audit(event: Event) -> Sequence[Event]:
        Ledger.from_env().record("audited", event.event_type, event.correlation_id)
        return []

    catalog = Catalog().add(
        *flows.FAST_QUEUES,
        Pipeline("chatty", [Stage("chat", flows.Spec, flows.Spec, chatty)]),
        Subscription("audit", ("plan.*",), audit),
    )
    catalog.rate_limits["model"] = RateLimit(limit=2, period_seconds=0.5)
    engine = start_engine(catalog, url=postgres_url)
    engine.result(engine.start_pipeline("chatty", {"text": "x"}, workflow_id="pg-chat"), timeout=30)
    times = [at for _, _, at in ledger.rows("model-call")]
    assert len(times) == 3 and times[2] - times[0] >= 0.45
    ledger.wait_for("audited", "plan.ready", timeout=20)
    chain = [e.event_type for e in engine.events.chain("pg-chat")]
    assert chain == ["stage.started", "plan.ready", "stage.finished"]
