"""GitHub's 5xx and rate limits (localhub faults) and the model's 529s and 429s (scripted
faults) on the routes a run uses: the run still ends with its pull request, once."""

from __future__ import annotations

import json
import urllib.request
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
    settle,
    start,
    tracking_comments,
    wait_for,
)

pytestmark = pytest.mark.slow

API = f"/api/v3/repos/{REPO}"

GITHUB_FAULTS: list[dict[str, Any]] = [
    # the eyes reaction, in the delivery's dispatch
    {"pattern": f"POST {API}/issues/*/reactions", "error_rate": 1.0, "status": 502, "times": 1},
    # a read: the permission check
    {
        "pattern": f"GET {API}/collaborators/*/permission",
        "error_rate": 1.0,
        "status": 503,
        "times": 1,
    },
    # the first write of a run: creating its tracking comment
    {"pattern": f"POST {API}/issues/*/comments", "error_rate": 1.0, "status": 502, "times": 1},
    # the primary limit spent, resetting in a second, on editing the tracking comment
    {"pattern": f"PATCH {API}/issues/comments/*", "rate_limit": True, "reset_after": 1, "times": 1},
    # the gate's commit status: a secondary limit; opening the pull request: a server error
    {
        "pattern": f"POST {API}/statuses/*",
        "secondary_rate_limit": True,
        "retry_after": 1,
        "times": 1,
    },
    {"pattern": f"POST {API}/pulls", "error_rate": 1.0, "status": 502, "times": 1},
    # the review's check run and the review itself
    {"pattern": f"POST {API}/check-runs", "error_rate": 1.0, "status": 500, "times": 1},
    {"pattern": f"POST {API}/pulls/*/reviews", "error_rate": 1.0, "status": 502, "times": 1},
]


def _with_model_faults(script: dict[str, Any]) -> dict[str, Any]:
    """The planner overloaded once (529), the implementer and a reviewer rate-limited (429)."""
    faults = {
        "plan": {"status": 529, "times": 1, "retry_after": 0},
        "implement-code": {"status": 429, "times": 2, "retry_after": 0},
        "security reviewer-review": {"status": 529, "times": 1, "retry_after": 0},
    }
    for turn in script["turns"]:
        if turn["name"] in faults:
            turn["fault"] = faults[turn["name"]]
    return script


def _active_faults(stack: OfflineStack) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{stack.hub.admin_url}/faults", timeout=10) as response:
        rules: list[dict[str, Any]] = json.loads(response.read())
    return rules


def _faulted(stack: OfflineStack) -> list[tuple[str, str, int]]:
    return [
        (r["method"], r["path"], r["status"])
        for r in stack.hub.requests()
        if r["status"] in (403, 500, 502, 503)
    ]


def test_a_run_survives_github_errors_rate_limits_and_an_overloaded_model(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """With a 5xx or rate limit on each GitHub route a run writes to and 529s/429s from the
    model, the run still ends with one PR, one commit, one tracking comment, one review and
    one completed check run, and every injected fault was met."""
    script = _with_model_faults(implement_script())
    with start(tmp_path, app_key_pem, script) as stack:
        for rule in GITHUB_FAULTS:
            stack.hub.add_fault(rule)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")
        settle(stack, timeout=120)

        assert _active_faults(stack) == [], "a fault was never met"
        assert len(_faulted(stack)) == len(GITHUB_FAULTS)
        failed_model_calls = [r for r in model_requests(stack) if r.status != 200]
        assert sorted(r.status for r in failed_model_calls) == [429, 429, 529, 529]

        repo = hub_client(stack).get_repo(REPO)
        pulls = list(repo.get_pulls(state="all"))
        assert len(pulls) == 1
        pull = pulls[0]
        assert f"Closes #{number}" in pull.body
        commits = list(pull.get_commits())
        assert len(commits) == 1
        assert "Specbot-Run: spec:" in commits[0].commit.message
        assert len(tracking_comments(stack, number)) == 1
        wait_for(
            lambda: (
                f"Pull request #{pull.number} reviewed at"
                in tracking_comments(stack, number)[0]["body"]
            ),
            what="the review's verdict in the tracking comment",
        )
        reviews = list(pull.get_reviews())
        assert len(reviews) == 1
        checks = list(repo.get_commit(pull.head.sha).get_check_runs(check_name="specbot/review"))
        assert [(c.name, c.status, c.conclusion) for c in checks] == [
            ("specbot/review", "completed", "success")
        ]
        eyes = [r for r in stack.hub.state()["reactions"].values() if r["number"] == number]
        assert [r["content"] for r in eyes] == ["eyes"]
