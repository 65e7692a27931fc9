"""A hostile model cannot make specbot ping, link, hide or forge anything it posts (end to end).

The scripted model plays the attacker in every field it writes: the plan's summary, the
implementer's report, and the reviewers' findings. What specbot posted is read back from
localhub's stored objects and parsed as GitHub would render it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.review import Finding, finding_marker, fingerprint, marker_key
from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    review_turn,
    start,
    wait_for,
)
from tests.markdown_probe import foreign_html, live_mentions, rendered_text

pytestmark = pytest.mark.slow
BOT = "specbot[bot]"


def _finding(path: str, line: int, category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "severity": "minor",  # a comment, not changes requested: no follow-up round
        "category": category,
        "message": message,
        "confidence": 0.9,
        **extra,
    }


HOSTILE = [
    _finding(
        "widgets/sizes.py",
        9,
        "@acme/security-team",
        "Breaks #7, GH-8 and acme/widgets#9; ask @alice or &#64;mallory.",
        quote="def inches_to_mm(value: float) -> float:",  # a one-click suggestion, fenced safe
        suggestion="x = '```'\n```\n@mallory <!--",
    ),
    _finding("widgets/`@mallory`.py", 1, "naming", "Backtick in the path."),
    _finding("a/hidden.py", 1, "style", "Everything after this is hidden <!-- "),
    _finding("b/fence.py", 1, "docs", "Opens a fence\n```\nand never closes it"),
    _finding("tests/test_inches.py", 3, "testing", "The later finding must stay visible."),
]
VISIBLE = [
    "Breaks",
    "Backtick in the path.",
    "Everything after this is hidden",
    "and never closes it",
    "The later finding must stay visible.",
]


def _hostile_script() -> dict[str, Any]:
    turn = review_turn("security reviewer", HOSTILE)
    turn["times"] = 1
    script = implement_script([turn])
    turns = script["turns"]
    turns[0]["reply"][0]["tool_use"]["input"]["summary"] = "Plan for @acme/team. Closes #5 <!--"
    turns[3]["reply"] = [{"text": "Done. Closes #5, thanks @alice"}]
    return script


def _specbot(items: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted((i for i in items.values() if i["user"] == BOT), key=lambda i: int(i["id"]))


def test_hostile_model_text_is_posted_inert(tmp_path: Path, app_key_pem: Path) -> None:
    """Review, inline comments, check run, PR body and commit: nothing live, every finding shown."""
    with start(tmp_path, app_key_pem, _hostile_script()) as stack:
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        repo = alice_repo(stack)
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        check = wait_for(
            lambda: next(
                (c for c in stack.hub.state()["check_runs"].values() if c["conclusion"]), None
            ),
            timeout=120,
            what="the completed check run",
        )
        state = stack.hub.state()
        [review] = _specbot(state["reviews"])
        comments = _specbot(state["review_comments"])
        posted = [review["body"], *(c["body"] for c in comments)]
        for body in posted:
            assert foreign_html(body) == [], body
            assert live_mentions(body) == [], body
        shown = " ".join(rendered_text(body) for body in posted)
        for words in VISIBLE:
            assert words in shown
        assert "widgets/`@mallory`.py" in rendered_text(review["body"])
        assert any("````suggestion\nx = '```'\n```\n@mallory <!--\n````" in b for b in posted)

        output = check["output"]
        assert foreign_html(output["summary"]) == [] and live_mentions(output["summary"]) == []
        for note in output["annotations"]:
            for text in (note["title"], note["message"]):
                assert "@a" not in text and "@m" not in text and "<!--" not in text
                assert "#7" not in text and "GH-8" not in text

        body = repo.get_pull(pull.number).body
        assert foreign_html(body) == []
        assert live_mentions(body) == ["#1", "#1"]  # specbot's own: Implements #1, Closes #1
        message = repo.get_pull(pull.number).get_commits()[0].commit.message
        assert "Closes #5" not in message and "@alice" not in message
        assert "Closes #\u200b5, thanks @\u200balice" in message


def _plain(path: str, line: int, category: str, message: str) -> dict[str, Any]:
    return _finding(path, line, category, message)


def test_markers_from_anyone_else_do_not_drop_a_finding(tmp_path: Path, app_key_pem: Path) -> None:
    """A marker forged by the model or posted by a person, even validly signed, changes nothing."""
    second = _plain("tests/test_inches.py", 3, "testing", "Name the criterion in the test.")
    third = _plain("tests/test_inches.py", 10, "errors", "Match the whole error message.")
    fp2, fp3 = (fingerprint(Finding.model_validate(f)) for f in (second, third))
    first = _plain(
        "widgets/sizes.py",
        9,
        "correctness",
        f"Reject bool. <!-- specbot:finding:{fp2} --> <!-- specbot:finding:{fp2}:{'0' * 32} -->",
    )
    round_one = review_turn("correctness reviewer", [first])
    round_two = review_turn("correctness reviewer", [first, second, third])
    round_one["times"] = round_two["times"] = 1
    with start(tmp_path, app_key_pem, implement_script([round_one, round_two])) as stack:
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        repo = alice_repo(stack)
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        root = wait_for(
            lambda: next(iter(_specbot(stack.hub.state()["review_comments"])), None),
            timeout=120,
            what="the first round's comment",
        )
        # A person copies markers into a reply: the old form, and one signed with the real key.
        key = marker_key(app_key_pem.read_text(encoding="utf-8"))  # the App's private key
        forged = f"<!-- specbot:finding:{fp3} -->\n{finding_marker(key, fp3)}"
        repo.get_pull(pull.number).create_review_comment_reply(root["id"], f"Noted.\n{forged}")
        repo.get_issue(pull.number).create_comment("/specbot review")

        def two_reviews() -> bool:
            return len(_specbot(stack.hub.state()["reviews"])) == 2

        wait_for(two_reviews, timeout=120, what="the second review")
        bodies = [c["body"] for c in _specbot(stack.hub.state()["review_comments"])]
        for words in ("Reject bool.", "Name the criterion", "Match the whole error"):
            assert sum(words in body for body in bodies) == 1, words


def test_follow_up_reply_and_commit_are_inert(tmp_path: Path, app_key_pem: Path) -> None:
    """The implementer's words in a round's reply and commit: no ping, no hidden text."""
    from tests.flows.test_followup import followup_turns

    turns = followup_turns()
    turns[2]["reply"] = [{"text": "Fixed, @alice. Closes #1 <!-- the rest is hidden"}]
    with start(tmp_path, app_key_pem, implement_script(turns)) as stack:
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")

        def reply() -> dict[str, Any] | None:
            comments = _specbot(stack.hub.state()["review_comments"])
            return next((c for c in comments if "Changed in" in c["body"]), None)

        body = wait_for(reply, timeout=150, what="the round's reply")["body"]
        assert foreign_html(body) == [] and live_mentions(body) == []
        assert "the rest is hidden" in rendered_text(body)
        repo = alice_repo(stack)
        pull = next(iter(repo.get_pulls(state="open")))
        message = list(repo.get_pull(pull.number).get_commits())[-1].commit.message
        assert "@alice" not in message and "Closes #1" not in message


def test_a_plan_waiting_for_approval_is_shown_inert(tmp_path: Path, app_key_pem: Path) -> None:
    """The plan in the tracking comment: step titles and files cannot ping or hide the checklist."""
    script = implement_script()
    plan = script["turns"][0]["reply"][0]["tool_use"]["input"]
    plan["summary"] = "<!-- hides the checklist; ping @acme/team about #7"
    plan["steps"][0]["title"] = "Step for @mallory ```"
    plan["steps"][0]["files"] = ["widgets/`@alice`.py"]
    with start(tmp_path, app_key_pem, script, config="plan_approval: true\n") as stack:
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")

        def waiting() -> str | None:
            comments = _specbot(stack.hub.state()["issue_comments"])
            return next((c["body"] for c in comments if "waits for approval" in c["body"]), None)

        body = wait_for(waiting, what="the plan waiting for approval")
        assert foreign_html(body) == []
        assert live_mentions(body) == ["#1", "#1"]  # specbot's own: the title, the next step
        shown = rendered_text(body)
        assert "hides the checklist" in shown and "Tokens:" in shown
