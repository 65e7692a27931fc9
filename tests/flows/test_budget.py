"""A run that reaches its token budget pushes its work so far and says how to go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    start,
    tracking_comments,
    wait_for,
)

pytestmark = pytest.mark.slow
BUDGET = 2_000  # the planner (~1,300 tokens) fits; the implementer stops after one call


def test_the_budget_stops_the_run_with_the_work_pushed(tmp_path: Path, app_key_pem: Path) -> None:
    """Budget reached in the implementer: its edits on the branch, no PR, a retry hint."""
    script = implement_script()
    with start(tmp_path, app_key_pem, script, SPECBOT_RUN_MAX_TOKENS=str(BUDGET)) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")

        def stopped() -> str | None:
            for comment in tracking_comments(stack, number):
                if "implementer stopped early" in comment["body"]:
                    return str(comment["body"])
            return None

        body = wait_for(stopped, what="the budget stop in the tracking comment")
        assert "token budget reached" in body and "/specbot retry" in body
        [branch] = wait_for(
            lambda: [
                b.name for b in repo.get_branches() if b.name.startswith(f"specbot/issue-{number}-")
            ],
            what="the branch with the work so far",
        )
        assert f"`{branch}`" in body
        content = repo.get_contents("widgets/sizes.py", ref=branch)
        assert not isinstance(content, list) and "inches_to_mm" in content.decoded_content.decode()
        assert repo.get_pulls(state="all").totalCount == 0
        used = [e.usage for e in stack.model.log.entries(path="/v1/messages")]
        assert len(used) >= 2
