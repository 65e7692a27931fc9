"""Cancellation reaches children, and a newer push supersedes the older review."""

from __future__ import annotations

import time

from bot.orchestra import review_prefix, review_workflow_id
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger


def test_cancelling_a_parent_stops_its_children(start_engine: StartEngine, ledger: Ledger) -> None:
    """Cancelling a pipeline cancels its child pipeline; the next stage never runs."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline(
        "review-then-publish", {"text": "x"}, workflow_id="parent", queue=None
    )
    ledger.wait_for("slow-start", "parent/review")
    engine.cancel(run)
    assert engine.status(run) == "CANCELLED"
    assert engine.children(run) == ["parent/review"]
    assert engine.status("parent/review") == "CANCELLED"
    time.sleep(2.0)  # the child's 1.5 s of work is over: nothing may have followed
    assert ledger.count("effect", "parent:after") == 0
    assert engine.status(run) == "CANCELLED"


def test_newer_push_cancels_the_older_review(start_engine: StartEngine, ledger: Ledger) -> None:
    """Superseding by PR prefix cancels the review of the old head and keeps the new one."""
    engine = start_engine(flows.catalog)
    old = review_workflow_id("acme/widgets", 7, "a" * 40)
    new = review_workflow_id("acme/widgets", 7, "b" * 40)
    other = review_workflow_id("acme/widgets", 8, "c" * 40)
    for workflow_id in (old, new, other):
        engine.start_pipeline("slow", {"text": workflow_id}, workflow_id=workflow_id, queue=None)
    cancelled = engine.supersede(review_prefix("acme/widgets", 7), keep=new)
    assert cancelled == [old]
    assert engine.status(old) == "CANCELLED"
    assert engine.result(new, timeout=30) == {"text": new}
    assert engine.result(other, timeout=30) == {"text": other}
