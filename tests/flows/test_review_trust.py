"""Who may start a review, through localhub's signed webhooks: a push reviews only specbot's own
commits on its own branches, a fork's pull request is reviewed only where the repository allows
it and a person with write access asks, and deliveries missing their repository or installation
are acknowledged and ignored."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.flows._review_trust import FORK_MARKER
from bot.flows._runs import CRITERIA_ONLY_SUFFIX
from bot.offline import WEBHOOK_SECRET, OfflineStack, start_stack
from bot.scripted import LoggedRequest
from tests.flows.stack_fixtures import (
    INSTALLATION_ID,
    REPO,
    hub_client,
    implement_script,
    model_requests,
    own_comments,
    review_turn,
    seed,
    settle,
    wait_for,
    wait_for_run_end,
)
from tests.web.conftest import example, json_body, signed_headers

pytestmark = pytest.mark.slow

FORK = "mallory/widgets"
SPOOFED = "specbot/issue-1-x"
# A forged trailer: in a fork (or from anyone) it proves nothing.
FORGED = "Add inches\n\nSpecbot-Run: spec:acme/widgets#1:forged"
FORK_CODE = '"""Sizes from a fork."""\n\nFORK_MARK = "fork-code-7f3a"\n'


# A major problem in the fork's code: the review requests changes.
MAJOR = {
    "path": "widgets/fork.py",
    "line": 3,
    "severity": "major",
    "category": "security",
    "message": "FORK_MARK is read from the environment without a check.",
    "confidence": 0.9,
}


def _start(
    tmp_path: Path, key: Path, config: str | None = None, finds: bool = False
) -> OfflineStack:
    """The offline App over the usual seed plus mallory's fork of the repository; with
    ``finds`` the security reviewer reports ``MAJOR``."""
    seeded = seed(tmp_path, key, config)
    seeded["repos"].append({"full_name": FORK, "fork_of": REPO})
    reviews = [review_turn("security reviewer", [MAJOR])] if finds else []
    return start_stack(
        seeded,
        implement_script(reviews),
        tmp_path / "data",
        key,
        SPECBOT_WORKSPACE_VENV=Path(sys.prefix),
    )


def _fork_pull(stack: OfflineStack) -> int:
    """mallory pushes a branch named like specbot's, forged trailer and all, to her fork and
    opens a pull request from it on the repository."""
    stack.hub.push(FORK, SPOOFED, {"widgets/fork.py": FORK_CODE}, as_user="mallory", message=FORGED)
    opened = stack.hub.open_pull(REPO, f"mallory:{SPOOFED}", title="Inches", as_user="mallory")
    return int(opened["number"])


def _review_runs(stack: OfflineStack) -> list[str]:
    """Review runs; a person's push to a specbot branch only gets its criteria computed."""
    return [r for r in stack.engine.run_ids("review:") if not r.endswith(CRITERIA_ONLY_SUFFIX)]


def _fork_notices(stack: OfflineStack, number: int) -> list[dict[str, Any]]:
    return [c for c in own_comments(stack, number) if FORK_MARKER in c["body"]]


def _reviewers_saw(requests: list[LoggedRequest], text: str) -> bool:
    return any(text in json.dumps(request.body) for request in requests)


def test_a_readers_fork_pull_request_named_like_specbots_is_not_reviewed(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """mallory (read access) opens a pull request from her fork's ``specbot/issue-1-x`` branch,
    its commit carrying a forged trailer, and pushes to it again; alice asks for a review: no
    review run starts, nor does alice's "Re-run" of a check on its head; no model hears of it,
    and the pull request gets one notice saying why and how to allow reviews of forks."""
    with _start(tmp_path, app_key_pem) as stack:
        number = _fork_pull(stack)
        settle(stack)
        head = stack.hub.push(
            FORK, SPOOFED, {"widgets/more.py": "X = 1\n"}, as_user="mallory", start_from=SPOOFED
        )
        stack.hub.comment(REPO, number, "/specbot review", as_user="alice")
        settle(stack)
        rerun = json.loads(example("check_run", "rerequested.payload.json"))
        rerun["check_run"].update(
            id=7, name="specbot/review", head_sha=head, pull_requests=[{"number": number}]
        )
        rerun["repository"] = hub_client(stack).get_repo(REPO).raw_data
        rerun["installation"] = {"id": INSTALLATION_ID}
        rerun["sender"].update(login="alice", type="User")
        assert wait_for_run_end(stack, _post(stack, "check_run", rerun)["run_id"]) == "SUCCESS"
        settle(stack)

        assert model_requests(stack) == []
        assert _review_runs(stack) == []
        [notice] = _fork_notices(stack, number)
        assert "fork" in notice["body"] and "forks: true" in notice["body"]
        assert "/specbot review" in notice["body"]
        assert hub_client(stack).get_repo(REPO).get_pull(number).get_reviews().totalCount == 0
        syncs = [d for d in stack.hub.deliveries("pull_request") if d["action"] == "synchronize"]
        assert [d["payload"]["pull_request"]["head"]["repo"]["full_name"] for d in syncs] == [FORK]


def test_a_push_without_specbots_trailer_is_not_reviewed_automatically(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """alice (write access) pushes ``specbot/issue-1-x`` in the repository itself, without
    specbot's trailer, and opens a pull request; mallory asks for a review: nothing is reviewed
    and no model is called. alice's own ``/specbot review`` then reviews the head commit."""
    with _start(tmp_path, app_key_pem) as stack:
        head = stack.hub.push(REPO, SPOOFED, {"widgets/own.py": "Y = 2\n"}, as_user="alice")
        number = stack.hub.open_pull(REPO, SPOOFED, title="Own", as_user="alice")["number"]
        settle(stack)
        assert _review_runs(stack) == []

        stack.hub.comment(REPO, number, "/specbot review", as_user="mallory")
        settle(stack)
        assert _review_runs(stack) == []
        assert model_requests(stack) == []
        [denied] = own_comments(stack, number)
        assert "@mallory" in denied["body"] and "write access" in denied["body"]

        stack.hub.comment(REPO, number, "/specbot review", as_user="alice")
        [run_id] = wait_for(lambda: _review_runs(stack), what="alice's review")
        assert wait_for_run_end(stack, run_id) == "SUCCESS"
        reviews = list(hub_client(stack).get_repo(REPO).get_pull(number).get_reviews())
        assert [r.commit_id for r in reviews] == [head]


def test_where_forks_are_allowed_a_writer_has_a_forks_pull_request_reviewed(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """With ``review: {forks: true}``, mallory's fork pull request is still not reviewed on its
    own, nor on mallory's word; alice's ``/specbot review`` reviews the fork's head commit, with
    the fork's code, as a review that requests changes (it is not specbot's pull request,
    whatever its branch is named), and no follow-up round pushes anything to the repository."""
    with _start(tmp_path, app_key_pem, "review:\n  forks: true\n", finds=True) as stack:
        number = _fork_pull(stack)
        head = hub_client(stack).get_repo(REPO).get_pull(number).head.sha
        stack.hub.comment(REPO, number, "/specbot review", as_user="mallory")
        settle(stack)
        assert _review_runs(stack) == []
        assert model_requests(stack) == []
        assert _fork_notices(stack, number) == []

        stack.hub.comment(REPO, number, "/specbot review", as_user="alice")
        [run_id] = wait_for(lambda: _review_runs(stack), what="the fork's review")
        assert wait_for_run_end(stack, run_id) == "SUCCESS"
        settle(stack)

        reviews = list(hub_client(stack).get_repo(REPO).get_pull(number).get_reviews())
        assert [(r.commit_id, r.user.login, r.state) for r in reviews] == [
            (head, "specbot[bot]", "CHANGES_REQUESTED")
        ]
        assert _reviewers_saw(model_requests(stack), "fork-code-7f3a")
        assert stack.engine.run_ids("follow-up:") == []
        assert hub_client(stack).get_repo(REPO).get_branches().totalCount == 1


def test_a_forks_pull_request_gets_no_follow_up_round(tmp_path: Path, app_key_pem: Path) -> None:
    """alice requests changes on mallory's fork pull request, with an inline comment asking
    ``@specbot`` to fix it: specbot runs no round, calls no model and pushes no branch to the
    repository (the fork's branch is not the repository's ``specbot/issue-1-x``)."""
    with _start(tmp_path, app_key_pem, "review:\n  forks: true\n") as stack:
        number = _fork_pull(stack)
        settle(stack)
        stack.hub.review(
            REPO,
            number,
            as_user="alice",
            event="REQUEST_CHANGES",
            body="Please rename FORK_MARK.",
            comments=[{"path": "widgets/fork.py", "line": 3, "body": "@specbot fix this"}],
        )
        settle(stack)

        assert stack.engine.run_ids("follow-up:") == []
        assert model_requests(stack) == []
        branches = hub_client(stack).get_repo(REPO).get_branches()
        assert [branch.name for branch in branches] == ["main"]


def _post(stack: OfflineStack, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Sign and post one delivery as GitHub would; the server's JSON answer (202 expected)."""
    body = json_body(payload)
    headers = signed_headers(event, body, secret=WEBHOOK_SECRET)
    request = urllib.request.Request(stack.webhook_url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def test_deliveries_without_repository_or_installation_are_ignored(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """A signed ``issues.labeled`` without repository and installation, an
    ``issue_comment.created`` without installation and a ``pull_request.opened`` without
    repository are each acknowledged; their runs end well, start nothing and call no model."""
    with _start(tmp_path, app_key_pem) as stack:
        labeled = json.loads(example("issues", "labeled.payload.json"))
        labeled["label"]["name"] = "spec"
        labeled.pop("repository", None)
        labeled.pop("installation", None)
        comment = json.loads(example("issue_comment", "created.payload.json"))
        comment["comment"]["body"] = "/specbot run"
        comment.pop("installation", None)
        comment["sender"].update(login="alice", type="User")
        pull = json.loads(example("pull_request", "opened.payload.json"))
        pull["pull_request"]["head"]["ref"] = SPOOFED
        pull.pop("repository", None)
        pull["installation"] = {"id": INSTALLATION_ID}
        answers = [
            _post(stack, "issues", labeled),
            _post(stack, "issue_comment", comment),
            _post(stack, "pull_request", pull),
        ]
        for answer in answers:
            assert answer["status"] == "queued"
            assert wait_for_run_end(stack, answer["run_id"]) == "SUCCESS"
        settle(stack)

        runs = stack.engine.run_ids("")
        assert {answer["run_id"] for answer in answers} <= set(runs)
        assert all(run.startswith("delivery:") for run in runs)
        assert {stack.engine.status(run) for run in runs} == {"SUCCESS"}
        assert model_requests(stack) == []
