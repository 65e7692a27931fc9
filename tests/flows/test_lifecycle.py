"""A spec's life: edits re-run the gate or supersede a run; people request changes; round limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.flows.stack_fixtures import (
    NOT_READY_SPEC,
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    start,
    wait_for,
)
from tests.flows.test_followup import FINDING, FIXED_CHECK, followup_turns

pytestmark = pytest.mark.slow


def _open_pull(repo: Any) -> Any:
    return next(iter(repo.get_pulls(state="open")), None)


def _tracking_comments(repo: Any, issue: int) -> list[Any]:
    return [c for c in repo.get_issue(issue).get_comments() if "specbot:tracking" in c.body]


def test_editing_a_spec_that_was_not_ready_runs_the_gate_again(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """Not ready -> the author edits the body -> ready -> a PR; still one tracking comment."""
    with start(tmp_path, app_key_pem, implement_script()) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", NOT_READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")
        wait_for(
            lambda: any("not ready" in c.body for c in _tracking_comments(repo, number)),
            what="the gate's verdict",
        )
        stack.hub.edit_issue(REPO, number, as_user="alice", body=READY_SPEC)
        pull = wait_for(lambda: _open_pull(repo), what="a PR after the edit")
        assert f"Closes #{number}" in pull.body
        [tracking] = _tracking_comments(repo, number)
        wait_for(lambda: f"#{pull.number}" in repo.get_issue(number).get_comment(tracking.id).body)


def test_an_edit_mid_run_cancels_the_run_and_starts_another(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """An edit while the planner works cancels that run; the new text's run opens the PR."""
    script = implement_script()
    [plan] = [turn for turn in script["turns"] if turn["name"] == "plan"]
    plan["latency"] = 2.0
    with start(tmp_path, app_key_pem, script) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")
        wait_for(lambda: stack.model.log.entries(path="/v1/messages"), what="the planner")
        edited = READY_SPEC + "\nInches come from the imperial system.\n"
        stack.hub.edit_issue(REPO, number, as_user="alice", body=edited)
        pull = wait_for(lambda: _open_pull(repo), what="the PR of the new text")
        runs = stack.services.runs.run_ids(f"spec:{REPO}#{number}:")
        statuses = wait_for(
            lambda: [
                found
                for found in [[stack.services.runs.status(run) for run in runs]]
                if "PENDING" not in found
            ],
            what="both runs to end",
        )
        assert statuses == [["CANCELLED", "SUCCESS"]]
        assert repo.get_pulls(state="all").totalCount == 1
        assert len(list(pull.get_commits())) == 1
        assert len(_tracking_comments(repo, number)) == 1


def test_a_person_requesting_changes_starts_a_round(tmp_path: Path, app_key_pem: Path) -> None:
    """alice requests changes on a line -> specbot commits a fix and replies in her thread."""
    turns = followup_turns()[1:]  # the implementer's follow-up, no swarm finding
    with start(tmp_path, app_key_pem, implement_script(turns)) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        pull = wait_for(lambda: _open_pull(repo), what="a PR")
        wait_for(lambda: list(repo.get_pull(pull.number).get_reviews()), what="the review")
        stack.hub.review(
            REPO,
            pull.number,
            as_user="alice",
            event="REQUEST_CHANGES",
            body="One thing before this can merge.",
            comments=[{"path": "widgets/sizes.py", "line": 11, "body": FINDING["message"]}],
        )
        commits = wait_for(
            lambda: [c for c in repo.get_pull(pull.number).get_commits()][1:],
            what="the follow-up commit",
        )
        assert commits[0].commit.message.startswith(f"Follow-up round 1 on #{pull.number}")
        content = repo.get_contents("widgets/sizes.py", ref=pull.head.ref)
        assert not isinstance(content, list) and FIXED_CHECK in content.decoded_content.decode()
        replies = wait_for(
            lambda: [
                c
                for c in repo.get_pull(pull.number).get_review_comments()
                if c.user.login == "specbot[bot]"
            ],
            what="the reply",
        )
        assert len(replies) == 1 and "Changed in" in replies[0].body


def test_past_the_round_limit_specbot_asks_a_person(tmp_path: Path, app_key_pem: Path) -> None:
    """With max_rounds 0 a review requesting changes gets a comment for a person, no round."""
    config = "flows:\n  follow-up:\n    max_rounds: 0\n"
    turns = followup_turns()[:1]  # the swarm's finding only
    with start(tmp_path, app_key_pem, implement_script(turns), config=config) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        pull = wait_for(lambda: _open_pull(repo), what="a PR")
        note = wait_for(
            lambda: [
                c
                for c in repo.get_issue(pull.number).get_comments()
                if "A person should take it from here" in c.body
            ],
            what="the comment for a person",
        )
        assert len(note) == 1
        assert len(list(repo.get_pull(pull.number).get_commits())) == 1
        [tracking] = _tracking_comments(repo, issue["number"])
        assert "a person should take over" in tracking.body
