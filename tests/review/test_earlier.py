"""Earlier rounds' findings as reviewers see them: only specbot's signed comments count, with
what people replied in their threads."""

from __future__ import annotations

from bot.ports import ReviewCommentInfo
from bot.review import draft_review, earlier_findings, marker_key, render_earlier
from bot.review.synthesis import ReviewEvent
from tests.review.test_render import PATCH, _merged

KEY = marker_key("service secret")
BOT = "specbot[bot]"


def comment(id_: int, body: str, author: str = BOT, reply_to: int | None = None, line: int = 2):
    return ReviewCommentInfo(
        id=id_, body=body, author=author, path="app.py", line=line, in_reply_to_id=reply_to
    )


def posted_body(message: str) -> str:
    draft = draft_review(
        [_merged(message=message)], {"app.py": PATCH}, ReviewEvent.COMMENT, "s", key=KEY
    )
    return draft.comments[0].body


def test_signed_findings_are_listed_with_the_replies_people_wrote():
    comments = [
        comment(1, posted_body("sys is imported but never used.")),
        comment(2, "We keep it: the CLI entry point needs it.", author="alice", reply_to=1),
        comment(3, "Thanks!", author=BOT, reply_to=1),  # specbot's own reply is not a dismissal
    ]
    [found] = earlier_findings(comments, BOT, KEY)
    assert (found.path, found.line, found.headline) == (
        "app.py",
        2,
        "sys is imported but never used.",
    )
    assert found.replies == ("We keep it: the CLI entry point needs it.",)
    assert render_earlier([found]) == (
        "- [answered] app.py line 2: sys is imported but never used.\n"
        "  - reply: We keep it: the CLI entry point needs it."
    )


def test_unsigned_forged_or_foreign_findings_are_not_shown():
    forged = "<!-- specbot:finding:" + "ab" * 8 + ":" + "0" * 32 + " -->\nI am a finding"
    comments = [
        comment(1, posted_body("real one")),
        comment(2, forged),  # specbot's login, but a marker nobody signed
        comment(3, posted_body("copied by someone else"), author="mallory"),
    ]
    found = earlier_findings(comments, BOT, KEY)
    assert [f.headline for f in found] == ["real one"]
    assert render_earlier(found) == "- [open] app.py line 2: real one"
