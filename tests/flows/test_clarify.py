"""Questions that fix a weak spec, end to end: asked, answered, shown as a diff, applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    settle,
    start,
    start_with_users,
    tracking_comments,
    wait_for,
)

pytestmark = pytest.mark.slow

# READY_SPEC with a vague first criterion and no error handling: ACC-002 and ERR-001, which
# the gate only warns about beside measurable criteria; this team's gate blocks on them.
STRICT_GATE = "gate:\n  promote: [ACC-002, ERR-001]\n"
WEAK_SPEC = (
    READY_SPEC.split("## Error handling")[0]
    .replace("- [ ] `inches_to_mm(1)` returns `25.4`", "- [ ] one inch converts fast and nicely")
    .rstrip()
    + "\n"
)
ANSWER = """Thanks, here they are.

/specbot answer
1. `inches_to_mm(1)` returns `25.4`
2: An invalid negative value returns an error to the caller: `ValueError` with the message \
"size must be >= 0"; nothing is kept or logged.
   An invalid value that is not a number returns an error to the caller: `TypeError`.
"""
QUOTED = """> 2. **ERR-001**: What can fail, and for each failure: what does the user or caller see?

Nothing can fail.
"""


def _replies(repo: Any, number: int, after: int) -> list[Any]:
    return [
        c
        for c in repo.get_issue(number).get_comments()
        if c.user.login == "specbot[bot]" and c.id > after and "specbot:tracking" not in c.body
    ]


def _reply_to(repo: Any, number: int, comment: dict[str, Any], what: str) -> Any:
    return wait_for(lambda: next(iter(_replies(repo, number, comment["id"])), None), what=what)


def test_questions_answers_preview_and_apply_rerun_the_gate(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """Not ready -> numbered questions naming their findings; a quoting reply and /specbot
    answer get a diff; a reader's apply is refused; alice's apply edits the body (original
    kept) and re-runs the gate, which is now ready; a second apply changes nothing."""
    with start(tmp_path, app_key_pem, implement_script(), STRICT_GATE) as stack:
        hub, repo = stack.hub, alice_repo(stack)
        number = hub.open_issue(REPO, "Convert inches", WEAK_SPEC, as_user="alice")["number"]
        hub.label(REPO, number, ["spec"], as_user="alice")
        tracking = wait_for(
            lambda: [c for c in tracking_comments(stack, number) if "not ready" in c["body"]],
            what="the not-ready verdict",
        )[0]["body"]
        assert "1. **ACC-002**: The criterion on line 13 uses a vague word" in tracking
        assert "2. **ERR-001**: What can fail" in tracking
        assert "3. " not in tracking.split("### Questions for the author")[1].split("\n\n")[1]

        quoted = hub.comment(REPO, number, QUOTED, as_user="alice")
        preview = _reply_to(repo, number, quoted, "the preview of a quoting reply").body
        assert "```diff" in preview and "+## Error handling" in preview
        assert "+- Nothing can fail." in preview and "Question 1 has no answer yet." in preview

        answer = hub.comment(REPO, number, ANSWER, as_user="alice")
        preview = _reply_to(repo, number, answer, "the preview of /specbot answer").body
        assert "-- [ ] one inch converts fast and nicely" in preview
        assert "+- [ ] `inches_to_mm(1)` returns `25.4`" in preview
        assert "+- An invalid value that is not a number returns an error" in preview
        assert repo.get_issue(number).body == WEAK_SPEC  # a preview changes nothing

        refused = hub.comment(REPO, number, "/specbot apply", as_user="mallory")
        assert "Only people with write access" in _reply_to(repo, number, refused, "refusal").body
        assert repo.get_issue(number).body == WEAK_SPEC

        applied = hub.comment(REPO, number, "/specbot apply", as_user="alice")
        reply = _reply_to(repo, number, applied, "the apply reply").body
        assert "Applied the answers" in reply and "+## Error handling" in reply
        body = repo.get_issue(number).body
        spec, original = body.split("<details>")
        assert "- [ ] `inches_to_mm(1)` returns `25.4`" in spec and "fast and nicely" not in spec
        assert "## Error handling" in spec and WEAK_SPEC.strip() in original
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        assert f"Closes #{number}" in pull.body

        again = hub.comment(REPO, number, "/specbot apply", as_user="alice")
        assert "already in the issue" in _reply_to(repo, number, again, "the second apply").body
        settle(stack, timeout=120)
        assert repo.get_issue(number).body == body
        runs = stack.services.runs.run_ids(f"spec:{REPO}#{number}:")
        assert len(runs) == 2  # the first gate and the one apply started: no loop on the edit
        assert "Spec check: ✅ ready" in tracking_comments(stack, number)[0]["body"]


EVE_ANSWER = "/specbot answer\n1. the function ignores every input and returns 0\n2: never\n"


def test_only_the_authors_answers_are_applied(tmp_path: Path, app_key_pem: Path) -> None:
    """mallory (read access) wrote the issue: her answers get a preview and are what alice
    applies. eve (read access, not the author) answers too: her command is refused, her
    quoting reply ignored, and her text never reaches the issue."""
    roles = {"eve": "read"}
    with start_with_users(tmp_path, app_key_pem, implement_script(), roles, STRICT_GATE) as stack:
        hub, repo = stack.hub, alice_repo(stack)
        number = hub.open_issue(REPO, "Convert inches", WEAK_SPEC, as_user="mallory")["number"]
        hub.label(REPO, number, ["spec"], as_user="alice")
        wait_for(
            lambda: [c for c in tracking_comments(stack, number) if "not ready" in c["body"]],
            what="the not-ready verdict",
        )
        answer = hub.comment(REPO, number, ANSWER, as_user="mallory")
        assert "```diff" in _reply_to(repo, number, answer, "mallory's preview").body
        quoted = hub.comment(REPO, number, QUOTED, as_user="eve")
        eve = hub.comment(REPO, number, EVE_ANSWER, as_user="eve")
        refusal = _reply_to(repo, number, quoted, "the refusal of eve's command").body
        assert "Only people with write access" in refusal
        applied = hub.comment(REPO, number, "/specbot apply", as_user="alice")
        reply = _reply_to(repo, number, applied, "the apply reply").body
        assert f"#issuecomment-{answer['id']}" in reply
        body = repo.get_issue(number).body
        spec = body.split("<details>")[0]
        assert "`inches_to_mm(1)` returns `25.4`" in spec
        assert "returns 0" not in body and "Nothing can fail" not in body
        settle(stack, timeout=120)
        previews = [r for r in _replies(repo, number, 0) if "would change the issue" in r.body]
        assert len(previews) == 1 and previews[0].id < quoted["id"] < eve["id"]
