"""Redelivered webhooks (same ``X-GitHub-Delivery``, as GitHub's redeliver button sends them)
change nothing: every effect of a whole run happened once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.offline import OfflineStack
from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    hub_client,
    implement_script,
    model_requests,
    own_comments,
    settle,
    start,
    tracking_comments,
)

pytestmark = pytest.mark.slow

EFFECTS = (
    "issues",
    "issue_comments",
    "reactions",
    "reviews",
    "review_comments",
    "statuses",
    "check_runs",
)


def _effects(stack: OfflineStack) -> dict[str, Any]:
    """Everything a run can change on GitHub, the branches' heads and the model's requests."""
    state = stack.hub.state()
    found: dict[str, Any] = {name: state[name] for name in EFFECTS}
    repo = hub_client(stack).get_repo(REPO)
    found["branches"] = sorted((b.name, b.commit.sha) for b in repo.get_branches())
    found["model_requests"] = len(model_requests(stack))
    found["runs"] = stack.engine.run_ids("")
    return found


def test_redelivering_every_webhook_after_a_whole_run_changes_nothing(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """After a refused command and a full run (PR open, review posted, check run completed),
    every delivery sent again is accepted and changes no comment, reaction, review, check
    run, status, pull request, branch or run, and reaches no model."""
    with start(tmp_path, app_key_pem, implement_script()) as stack:
        hub = stack.hub
        issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")["number"]
        hub.comment(REPO, issue, "/specbot run", as_user="mallory")
        hub.label(REPO, issue, ["spec"], as_user="alice")
        settle(stack)

        before = _effects(stack)
        pulls = [i for i in before["issues"].values() if i["pull"] is not None]
        assert len(pulls) == 1
        assert len(before["reviews"]) == 1
        assert [c["status"] for c in before["check_runs"].values()] == ["completed", "completed"]
        assert len(tracking_comments(stack, issue)) == 1
        assert len(own_comments(stack, issue)) == 2  # the tracking comment, mallory's reply
        assert before["model_requests"] > 0

        originals = hub.deliveries()
        handled = [d for d in originals if d["status_code"] == 202]
        assert {d["event"] for d in handled} >= {"issues", "issue_comment", "pull_request"}
        for delivery in originals:
            hub.redeliver(delivery["id"])
        settle(stack)

        again = [d for d in hub.deliveries() if d["redelivery"]]
        assert len(again) == len(originals)
        assert [d["guid"] for d in again] == [d["guid"] for d in originals]
        assert all(d["status_code"] == 202 for d in again), [d["status_code"] for d in again]
        assert _effects(stack) == before
