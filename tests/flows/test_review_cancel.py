"""A newer push to specbot's pull request cancels the review of the older head commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.orchestra import review_workflow_id
from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    REVIEWERS,
    hub_client,
    implement_script,
    model_requests,
    review_turn,
    settle,
    start,
    wait_for,
    wait_for_run_end,
)

pytestmark = pytest.mark.slow

SLOW_SECONDS = 6.0  # long enough for the push's webhook to cancel the run meanwhile


def _slow_reviews() -> list[dict[str, Any]]:
    """The first reviewer's first answer takes a while and finds something; later ones are
    quick. (The first reviewer goes alone: the others wait for its answer to read the cached
    diff, so in the first review they start only once the push has cancelled it.)"""
    finding = {
        "path": "widgets/sizes.py",
        "line": 1,
        "severity": "nit",
        "category": "style",
        "message": "Stale finding: only the review of the first head commit says this.",
        "confidence": 0.9,
    }
    turns = []
    for role in REVIEWERS[:1]:
        turn = review_turn(f"{role} reviewer", [finding])
        turn.update(name=f"slow-{role}", latency=SLOW_SECONDS, times=1)
        turns.append(turn)
    return turns


def test_a_newer_push_cancels_the_older_review(tmp_path: Path, app_key_pem: Path) -> None:
    """While the swarm reviews specbot's first commit, specbot pushes a second one (a follow-up
    commit, with its run trailer: only specbot's own commits are reviewed on a push): the first
    review run ends CANCELLED without posting, its check run ends cancelled, and the review
    of the new head posts the pull request's only review and a completed check run."""
    with start(tmp_path, app_key_pem, implement_script(_slow_reviews())) as stack:
        hub = stack.hub
        issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")["number"]
        hub.label(REPO, issue, ["spec"], as_user="alice")
        repo = hub_client(stack).get_repo(REPO)
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        first_head = pull.head.sha
        wait_for(
            lambda: any((r.turn or "").startswith("slow-") for r in model_requests(stack)),
            what="the first review's swarm to be at work",
        )

        second_head = hub.push(
            REPO,
            pull.head.ref,
            {"widgets/extra.py": '"""More sizes later."""\n'},
            as_user="specbot[bot]",
            message="Add a placeholder module\n\nSpecbot-Run: follow-up:placeholder",
            start_from=pull.head.ref,
        )
        first = review_workflow_id(REPO, pull.number, first_head)
        second = review_workflow_id(REPO, pull.number, second_head)
        assert wait_for_run_end(stack, first) == "CANCELLED"
        assert wait_for_run_end(stack, second) == "SUCCESS"
        settle(stack)

        reviews = list(repo.get_pull(pull.number).get_reviews())
        assert [(r.commit_id, r.user.login) for r in reviews] == [(second_head, "specbot[bot]")]
        assert "Stale finding" not in reviews[0].body
        assert list(repo.get_pull(pull.number).get_review_comments()) == []
        new_checks = list(repo.get_commit(second_head).get_check_runs(check_name="specbot/review"))
        assert [(c.name, c.status, c.conclusion) for c in new_checks] == [
            ("specbot/review", "completed", "success")
        ]
        # the cancelled run's swarm finishes its requests, then posts nothing and says so
        old_commit = repo.get_commit(first_head)
        old_check = wait_for(
            lambda: next(
                (
                    c
                    for c in old_commit.get_check_runs(check_name="specbot/review")
                    if c.status == "completed"
                ),
                None,
            ),
            what="the superseded check run to end",
        )
        assert old_check.conclusion == "cancelled"
        assert [r.commit_id for r in repo.get_pull(pull.number).get_reviews()] == [second_head]
        # The cancelled review's other reviewers, waiting for its first one, never called the
        # model: one request for the old head, one per reviewer for the new one.
        settle(stack)
        reviews_asked = [r for r in model_requests(stack) if (r.turn or "").endswith("-review")]
        slow = [r for r in model_requests(stack) if (r.turn or "").startswith("slow-")]
        assert len(slow) == 1
        assert len(reviews_asked) == len(REVIEWERS)
