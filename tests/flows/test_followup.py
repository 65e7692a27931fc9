"""Follow-up rounds end to end: the swarm's findings go back to the implementer, then a review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    review_turn,
    start,
    wait_for,
)

pytestmark = pytest.mark.slow

FINDING = {
    "path": "widgets/sizes.py",
    "line": 11,
    "end_line": None,
    "severity": "major",
    "category": "correctness",
    "message": "bool is a subclass of int: inches_to_mm(True) returns 25.4 instead of TypeError.",
    "suggestion": None,
    "confidence": 0.9,
}
FIXED_CHECK = "    if isinstance(value, bool) or not isinstance(value, (int, float)):"


def followup_turns() -> list[dict[str, Any]]:
    """Round 1: one major finding; the follow-up fixes it; round 2 is clean (the defaults)."""
    edit = {
        "command": "str_replace",
        "path": "widgets/sizes.py",
        "old_str": "    if not isinstance(value, (int, float)):",
        "new_str": FIXED_CHECK,
    }
    finding_turn = review_turn("correctness reviewer", [FINDING])
    finding_turn["times"] = 1
    return [
        finding_turn,
        {
            "name": "follow-up-edit",
            "when": {"role": "Role: implementer", "turn": 0, "last_user_contains": "# Follow-up"},
            "reply": [{"tool_use": {"name": "str_replace_based_edit_tool", "input": edit}}],
        },
        {
            "name": "follow-up-done",
            "when": {"role": "Role: implementer", "turn": 1},
            "reply": [{"text": "Rejected bool explicitly before the number check."}],
        },
    ]


def test_swarm_findings_start_one_round_that_fixes_and_replies(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """A major finding -> a follow-up commit, a reply in its thread, and a clean second review;
    the repository's model for the implementer serves the round too."""
    config = "agents:\n  implementer:\n    model: claude-implementer-of-widgets\n"
    with start(tmp_path, app_key_pem, implement_script(followup_turns()), config) as stack:
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        repo = alice_repo(stack)
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")

        def two_reviews() -> list[Any]:
            found = list(repo.get_pull(pull.number).get_reviews())
            return found if len(found) == 2 else []

        first, second = wait_for(two_reviews, timeout=120, what="the second review")
        threads = list(repo.get_pull(pull.number).get_review_comments())
        # raw_data: GitHub leaves in_reply_to_id out of a thread's first comment.
        root = next(c for c in threads if c.raw_data.get("in_reply_to_id") is None)
        assert root.path == "widgets/sizes.py" and root.line == 11
        assert "bool is a subclass of int" in root.body
        replies = [c for c in threads if c.raw_data.get("in_reply_to_id") == root.id]
        assert len(replies) == 1 and "Changed in" in replies[0].body
        head = repo.get_pull(pull.number).head
        content = repo.get_contents("widgets/sizes.py", ref=head.ref)
        assert not isinstance(content, list)
        assert FIXED_CHECK in content.decoded_content.decode()
        commits = list(repo.get_pull(pull.number).get_commits())
        assert len(commits) == 2
        assert commits[1].commit.message.startswith(f"Follow-up round 1 on #{pull.number}")
        checks = wait_for(
            lambda: [
                c
                for c in repo.get_commit(head.sha).get_check_runs(check_name="specbot/review")
                if c.status == "completed"
            ],
            what="the second check run",
        )
        assert [c.conclusion for c in checks] == ["success"]
        first_checks = list(
            repo.get_commit(commits[0].sha).get_check_runs(check_name="specbot/review")
        )
        assert [c.conclusion for c in first_checks] == ["failure"]
        models = {
            entry.turn: entry.body["model"]
            for entry in stack.model.log.entries(path="/v1/messages")
        }
        assert models["follow-up-edit"] == "claude-implementer-of-widgets"
        assert models["implement-code"] == "claude-implementer-of-widgets"
        assert models["plan"] != "claude-implementer-of-widgets"
