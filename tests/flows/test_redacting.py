"""Everything the App posts has the service's secrets redacted, also when encoded."""

from __future__ import annotations

import base64
from typing import Any, cast

from bot.agents.tools import REDACTED
from bot.flows._redacting import RedactingGitHub
from bot.ports import CommentInfo, PullInfo, RepoGitHub
from bot.review import Annotation, InlineComment, ReviewDraft

SECRET = "whsec-canary-3e8d1f0b9a"
B64 = base64.b64encode(f"key={SECRET}\n".encode()).decode()
HEX = SECRET.encode().hex()


class RecordingGitHub:
    """The repository port, recording every text it is asked to write."""

    full_name = "acme/widgets"
    bot_login = "specbot[bot]"

    def __init__(self) -> None:
        self.written: list[Any] = []

    def create_comment(self, number: int, body: str) -> CommentInfo:
        self.written.append(body)
        return CommentInfo(id=1, body=body, author=self.bot_login, html_url="https://x.test/c")

    def edit_comment(self, comment_id: int, body: str) -> None:
        self.written.append(body)

    def open_pull(self, head: str, base: str, title: str, body: str) -> PullInfo:
        self.written += [title, body]
        return PullInfo(
            number=3,
            title=title,
            body=body,
            head_ref=head,
            head_sha="a" * 40,
            base_ref=base,
            state="open",
            html_url="https://x.test/pull/3",
            from_fork=False,
        )

    def update_pull(self, number: int, title: str, body: str) -> None:
        self.written += [title, body]

    def post_review(self, number: int, commit_sha: str, draft: ReviewDraft) -> int:
        self.written += [draft.body, *(comment.body for comment in draft.comments)]
        return 1

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> None:
        self.written.append(body)

    def set_status(self, sha: str, context: str, state: str, description: str, url: str) -> None:
        self.written.append(description)

    def complete_check_run(
        self, check_run_id: int, conclusion: str, title: str, summary: str, annotations: Any
    ) -> None:
        self.written += [title, summary, *(note.message for note in annotations)]


def test_every_text_posted_is_redacted() -> None:
    """Comments, pull requests, reviews, replies, statuses and check runs: no secret in any
    form reaches GitHub; the text around it does."""
    inner = RecordingGitHub()
    github = RedactingGitHub(cast(RepoGitHub, inner), [SECRET])
    leak = f"see {SECRET} and {B64} and {HEX}"
    github.create_comment(1, leak)
    github.edit_comment(2, leak)
    github.open_pull("specbot/x", "main", leak, leak)
    github.update_pull(3, leak, leak)
    comment = InlineComment(path="a.py", line=1, start_line=None, body=leak)
    github.post_review(3, "abc", ReviewDraft(event="COMMENT", body=leak, comments=(comment,)))
    github.reply_to_review_comment(3, 4, leak)
    github.set_status("abc", "specbot", "success", leak, None)
    note = Annotation(
        path="a.py", start_line=1, end_line=1, annotation_level="notice", title="t", message=leak
    )
    github.complete_check_run(5, "success", leak, leak, [note])
    assert len(inner.written) == 13
    for text in inner.written:
        assert text.startswith("see ") and text.count(REDACTED) == 3
        assert SECRET not in text and HEX not in text and B64[8:24] not in text
