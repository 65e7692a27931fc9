"""The specbot/criteria check end to end: proven by tests, waived by a writer, broken by a push."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.flows.stack_fixtures import (
    NEW_SIZES,
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    review_turn,
    settle,
    start,
    wait_for,
)

pytestmark = pytest.mark.slow

TIED = {
    "path": "tests/test_inches.py",
    "line": 9,
    "severity": "minor",
    "category": "spec-conformance",
    "message": "C2: only the integer 0 is tested; a float 0.0 input is not.",
    "confidence": 0.9,
}


def _calls(stack: Any) -> list[str]:
    """The GitHub API calls specbot made so far, as ``METHOD path``."""
    return [
        f"{r['method']} {r['path']}"
        for r in stack.hub.requests()
        if r.get("caller") == "specbot[bot]"
    ]


def _criteria_check(repo: Any, sha: str, conclusion: str | None = None) -> Any:
    for check in repo.get_commit(sha).get_check_runs(check_name="specbot/criteria"):
        if check.status == "completed" and conclusion in (None, check.conclusion):
            return check
    return None


def test_criteria_proven_waived_and_broken_by_a_persons_push(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """C1-C3 proven by their tests, C4 (the performance target) unproven: the check fails.
    alice waives C4: the same check run succeeds and the PR table says who and why. mallory's
    waiver is refused. alice then pushes a commit that breaks C1's test: the new head's check
    fails with C1 unproven, C4 still waived, and the PR body is in step."""
    tied = review_turn("spec-conformance reviewer", [TIED])
    tied["times"] = 1
    with start(tmp_path, app_key_pem, implement_script([tied])) as stack:
        hub, repo = stack.hub, alice_repo(stack)
        number = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")["number"]
        hub.label(REPO, number, ["spec"], as_user="alice")
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        first = pull.head.sha
        check = wait_for(lambda: _criteria_check(repo, first), timeout=120, what="the check")
        assert (check.conclusion, check.output.title) == ("failure", "3 of 4 criteria proven")
        summary = check.output.summary
        assert "| C1 | `inches_to_mm(1)` returns `25.4` | ✅ proven |" in summary
        assert "`tests.test_inches::test_c1_one_inch`" in summary
        assert "| C4 | One call takes under 1 ms. | ❌ unproven | no test names it |" in summary
        assert "review: minor at tests/test_inches.py:9: C2: only the integer 0" in summary
        assert "exited 0: 4 passed, 0 failed" in summary
        body = wait_for(
            lambda: "❌ unproven" in (b := repo.get_pull(pull.number).body) and b,
            what="the PR's criteria table",
        )
        assert "(3 of 4 met by passing tests)" in body and f"Closes #{number}" in body

        settle(stack, timeout=120)
        calls_before = len(_calls(stack))
        hub.comment(REPO, pull.number, "/specbot waive 4 benchmarked separately", as_user="alice")
        waived = wait_for(lambda: _criteria_check(repo, first, "success"), what="the waiver")
        settle(stack)
        # config, permission, eyes, the PR, its comments, the record, the check, the PR body
        assert len(_calls(stack)) - calls_before == 8, _calls(stack)[calls_before:]
        hub.comment(REPO, pull.number, "/specbot waive 1 looks fine", as_user="mallory")
        assert waived.id == check.id
        assert waived.output.title == "3 of 4 criteria proven, 1 waived"
        assert "waived by @alice: benchmarked separately" in waived.output.summary
        assert "mallory" not in waived.output.summary
        body = repo.get_pull(pull.number).body
        assert "waived by @alice: benchmarked separately" in body and "❌" not in body

        broken = NEW_SIZES.replace("value * 25.4", "value * 25.0")
        second = hub.push(
            REPO,
            pull.head.ref,
            {"widgets/sizes.py": broken},
            as_user="alice",
            message="Use a round factor",
            start_from=pull.head.ref,
        )
        check = wait_for(lambda: _criteria_check(repo, second), timeout=120, what="new check")
        assert (check.conclusion, check.output.title) == (
            "failure",
            "2 of 4 criteria proven, 1 waived",
        )
        summary = check.output.summary
        assert (
            "| C1 | `inches_to_mm(1)` returns `25.4` | ❌ unproven | did not all pass:" in summary
        )
        assert "exited 1: 3 passed, 1 failed" in summary and second[:12] in summary
        assert "⚪ waived" in summary
        settle(stack, timeout=120)
        body = repo.get_pull(pull.number).body
        assert second[:12] in body and "(2 of 4 met by passing tests, 1 waived)" in body
        assert _criteria_check(repo, first, "success") is not None
        comments = [c.body for c in repo.get_issue(pull.number).get_comments()]
        assert sum("specbot:waiver" in c for c in comments) == 1
