"""The review swarm as a repository configures it, through the App: rounds, the consensus rule,
and the blackboard in the run's event log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.flows.stack_fixtures import (
    REVIEWERS,
    implement_script,
    review_turn,
    settle,
    spec_to_review,
    start,
)

pytestmark = pytest.mark.slow

CONFIG = ROOT.joinpath("docs", "examples", "specbot-review-in-rounds.yml").read_text("utf-8")


def test_a_configured_second_round_runs_and_the_blackboard_is_logged(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """docs/examples/specbot-review-in-rounds.yml (``max_iterations: 2``, then
    ``no_new_contributions``): every reviewer reviews twice (the second time shown the first
    round's findings), the swarm agrees in round 2, and each contribution, the merge and the
    synthesis are in the run's event log."""
    later = review_turn("any reviewer", [], last_user_contains="This is round 2")
    later["when"].pop("role")
    script = implement_script([{**later, "name": "round-2"}])
    with start(tmp_path, app_key_pem, script, config=CONFIG) as stack:
        spec_to_review(stack)
        settle(stack)
        turns = [e.turn for e in stack.model.log.entries(path="/v1/messages")]
        [run_id] = stack.engine.run_ids("review:")
        # the swarm's blackboard: the review's own events, without stage, agent and GitHub ones
        log = [e for e in stack.engine.events.chain(run_id) if e.event_type.startswith("review.")]
    assert turns.count("round-2") == 5, turns
    kinds = [event.event_type for event in log]
    by_reviewers = [
        (e.payload["agent"], e.payload["iteration"])
        for e in log
        if e.event_type == "review.contribution" and e.payload["agent"] in REVIEWERS
    ]
    assert sorted(by_reviewers) == sorted((name, n) for name in REVIEWERS for n in (1, 2))
    assert kinds[-2:] == ["review.merged", "review.synthesis"]
    synthesis = log[-1].payload
    assert synthesis["reached"] is True and synthesis["iteration"] == 2
    assert synthesis["rule"] == "no_new_contributions"


def test_the_review_by_area_sends_each_area_to_its_specialists(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """docs/examples/specbot-review-by-area.yml: specbot's pull request changes one source
    file (``widgets``) and one test file (``tests``): all five reviewers read the source, four
    (not performance) read the tests, each task is in the event log, and one review is posted."""
    config = ROOT.joinpath("docs", "examples", "specbot-review-by-area.yml").read_text("utf-8")
    with start(tmp_path, app_key_pem, implement_script(), config=config) as stack:
        pull = spec_to_review(stack)
        settle(stack)
        turns = [e.turn for e in stack.model.log.entries(path="/v1/messages")]
        [run_id] = stack.engine.run_ids("review:")
        log = [e for e in stack.engine.events.chain(run_id) if e.event_type.startswith("review.")]
        reviews = list(pull.get_reviews())
    reviewed = {name: turns.count(f"{name} reviewer-review") for name in REVIEWERS}
    assert reviewed == {
        "security": 2,
        "correctness": 2,
        "performance": 1,
        "style": 2,
        "spec-conformance": 2,
    }
    tasks = [e.payload for e in log if e.event_type == "review.task"]
    assert sorted((t["payload"]["context"]["area"], t["agent"]) for t in tasks) == sorted(
        [("widgets", name) for name in REVIEWERS]
        + [("tests", name) for name in REVIEWERS if name != "performance"]
    )
    assert log[-1].event_type == "review.synthesis" and log[-1].payload["rule"] == "hub-and-spoke"
    assert len(reviews) == 1
