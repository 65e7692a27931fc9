"""``/specbot`` commands, plan approval and questions, through signed webhooks."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.flows._commands import HELP
from bot.offline import WEBHOOK_SECRET
from bot.spec import GateConfig, lint
from bot.webhooks import sign
from tests.flows.stack_fixtures import (
    INSTALLATION_ID,
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    start,
    wait_for,
)

pytestmark = pytest.mark.slow


def _reply_after(repo: Any, issue: int, count: int) -> list[Any]:
    comments = list(repo.get_issue(issue).get_comments())
    return comments if len(comments) >= count else []


def test_help_explain_and_status_answer_in_comments(tmp_path: Path, app_key_pem: Path) -> None:
    """Each command gets its own reply; none of them calls the model."""
    with start(tmp_path, app_key_pem, implement_script()) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.comment(REPO, number, "/specbot help", as_user="alice")
        comments = wait_for(lambda: _reply_after(repo, number, 2), what="the help reply")
        assert comments[1].body == HELP
        stack.hub.comment(REPO, number, "/specbot explain", as_user="alice")
        comments = wait_for(lambda: _reply_after(repo, number, 4), what="the explain reply")
        score = lint(READY_SPEC, GateConfig()).score  # the gate's own figure, not a copy of it
        assert "ready" in comments[3].body.lower() and f"(score {score}/100)" in comments[3].body
        stack.hub.comment(REPO, number, "/specbot status", as_user="alice")
        comments = wait_for(lambda: _reply_after(repo, number, 6), what="the status reply")
        assert comments[5].body == "specbot has not run here yet."
        stack.hub.comment(REPO, number, "/specbot frobnicate", as_user="alice")
        comments = wait_for(lambda: _reply_after(repo, number, 8), what="the unknown reply")
        assert comments[7].body == HELP
        assert stack.model.log.entries(path="/v1/messages") == []


def test_plan_approval_waits_for_approve(tmp_path: Path, app_key_pem: Path) -> None:
    """With plan_approval the run posts the plan and stops; /specbot approve opens the PR."""
    config = "plan_approval: true\n"
    with start(tmp_path, app_key_pem, implement_script(), config=config) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")

        def waiting() -> Any:
            for comment in repo.get_issue(number).get_comments():
                if "waits for approval" in comment.body:
                    return comment
            return None

        tracking = wait_for(waiting, what="the plan waiting for approval")
        assert "Add inches_to_mm with tests." in tracking.body
        assert repo.get_pulls(state="all").totalCount == 0
        stack.hub.comment(REPO, number, "/specbot approve", as_user="alice")
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        assert f"Closes #{number}" in pull.body
        wait_for(
            lambda: f"#{pull.number}" in repo.get_issue(number).get_comment(tracking.id).body,
            what="the pull request in the tracking comment",
        )
        planner_calls = [
            e for e in stack.model.log.entries(path="/v1/messages") if e.turn == "plan"
        ]
        assert len(planner_calls) == 1  # approval reuses the stored plan


def test_question_gets_an_answer_and_no_commit(tmp_path: Path, app_key_pem: Path) -> None:
    """A review comment asking @specbot a question is answered in its thread; nothing is pushed."""
    answer = {
        "name": "answer",
        "when": {"role": "Role: responder"},
        "reply": [{"text": "Two decimals keep millimetres readable; the spec asks for it."}],
    }
    with start(tmp_path, app_key_pem, implement_script([answer])) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        wait_for(lambda: list(repo.get_pull(pull.number).get_reviews()), what="the review")
        head = repo.get_pull(pull.number).head.sha
        stack.hub.review(
            REPO,
            pull.number,
            as_user="alice",
            event="COMMENT",
            comments=[
                {
                    "path": "widgets/sizes.py",
                    "line": 15,
                    "body": "@specbot why round to 2 decimals?",
                }
            ],
        )

        def reply() -> Any:
            for comment in repo.get_pull(pull.number).get_review_comments():
                if comment.user.login == "specbot[bot]":
                    return comment
            return None

        found = wait_for(reply, what="the answer")
        assert "Two decimals keep millimetres readable" in found.body
        assert repo.get_pull(pull.number).head.sha == head


EXAMPLES = Path(__file__).resolve().parents[1] / "data/github/webhooks/examples"


def test_rerunning_the_check_reviews_the_commit_again(tmp_path: Path, app_key_pem: Path) -> None:
    """GitHub's check_run.rerequested for specbot/review starts a second review of that head."""
    with start(tmp_path, app_key_pem, implement_script()) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        check = wait_for(
            lambda: next(
                (
                    c
                    for c in repo.get_commit(pull.head.sha).get_check_runs()
                    if c.status == "completed"
                ),
                None,
            ),
            what="the first check run",
        )
        payload = json.loads((EXAMPLES / "check_run/rerequested.payload.json").read_text())
        payload["check_run"].update(
            id=check.id,
            name="specbot/review",
            head_sha=pull.head.sha,
            pull_requests=[{"number": pull.number, "head": {"sha": pull.head.sha}}],
        )
        payload["repository"] = repo.raw_data
        payload["installation"] = {"id": INSTALLATION_ID}
        payload["sender"] = {"login": "alice", "type": "User", "id": 2}
        body = json.dumps(payload).encode()
        response = httpx.post(
            stack.webhook_url,
            content=body,
            headers={
                "X-GitHub-Event": "check_run",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": sign(body, WEBHOOK_SECRET),
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 202
        reviews = wait_for(
            lambda: [r for r in repo.get_pull(pull.number).get_reviews()][1:],
            what="the second review",
        )
        assert reviews[0].commit_id == pull.head.sha


def test_cancel_stops_the_run_and_says_so(tmp_path: Path, app_key_pem: Path) -> None:
    """/specbot cancel while the planner works: no PR, a reply, and the tracking comment says so."""
    script = implement_script()
    [plan] = [turn for turn in script["turns"] if turn["name"] == "plan"]
    plan["latency"] = 2.0
    with start(tmp_path, app_key_pem, script) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")
        wait_for(lambda: stack.model.log.entries(path="/v1/messages"), what="the planner")
        stack.hub.comment(REPO, number, "/specbot cancel", as_user="alice")
        wait_for(
            lambda: any(
                c.body == "Cancelled 1 run(s)." for c in repo.get_issue(number).get_comments()
            ),
            what="the reply to cancel",
        )
        [run] = stack.services.runs.run_ids(f"spec:{REPO}#{number}:")
        wait_for(lambda: stack.services.runs.status(run) == "CANCELLED", what="the cancelled run")
        time.sleep(3.0)  # the planner's answer arrives; nothing may follow it
        tracking = [
            c for c in repo.get_issue(number).get_comments() if "specbot:tracking" in c.body
        ]
        assert len(tracking) == 1 and "Cancelled by @alice." in tracking[0].body
        assert repo.get_pulls(state="all").totalCount == 0
        implementer = [e for e in stack.model.log.entries(path="/v1/messages") if e.turn != "plan"]
        assert implementer == []
