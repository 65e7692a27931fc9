"""The same patterns on PostgreSQL: one engine, every pattern, the same results as on SQLite."""

from __future__ import annotations

import pytest

from bot.orchestra import Blackboard, Event
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger

pytestmark = pytest.mark.postgres


def test_every_pattern_runs_on_postgres(
    postgres_url: str, start_engine: StartEngine, ledger: Ledger
) -> None:
    """Pipeline, dead letters, swarm, coordinator and the event log all work on PostgreSQL."""
    engine = start_engine(flows.catalog, url=postgres_url)
    ok = engine.start_pipeline("four-stages", {"text": "a"}, workflow_id="pg-ok")
    bad = engine.start_pipeline("four-stages", {"text": "fail-check"}, workflow_id="pg-bad")
    swarm = engine.start_swarm("reviewers", {"pr": 1}, workflow_id="pg-swarm", partition="acme/w")
    hub = engine.start_coordinator("hub", {"id": "pg", "parts": 2}, workflow_id="pg-hub")
    assert engine.result(ok, timeout=30) == {"url": "https://example.test/pr/2"}
    assert (
        Blackboard.model_validate(engine.result(swarm, timeout=30)).consensus.verdict == "approve"
    )
    assert sorted(engine.result(hub, timeout=30)["synthesis"]["outputs"]) == ["part-0", "part-1"]
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
