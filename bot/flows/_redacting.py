"""Everything the App posts passes through secret redaction, whoever wrote the text.

Agents' words reach GitHub in tracking comments, pull-request bodies, reviews, replies and
check runs. ``RedactingGitHub`` wraps the repository port so every text it writes has each
known secret replaced, verbatim or base64-, hex- or URL-encoded, the same function the
agents' tool output goes through.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.agents.tools import Redactor
from bot.flows._run_events import record_github_write
from bot.ports import (
    CommentInfo,
    FileDiff,
    IssueInfo,
    Permission,
    PullInfo,
    Reaction,
    RepoGitHub,
    ReviewCommentInfo,
    StatusState,
)
from bot.review import Annotation, ReviewDraft


class RedactingGitHub:
    """A ``RepoGitHub`` whose writes have every known secret redacted."""

    def __init__(self, inner: RepoGitHub, secrets: Sequence[str]) -> None:
        self._inner = inner
        self._redactor = Redactor(secrets)
        self.full_name = inner.full_name
        self.bot_login = inner.bot_login

    def _clean(self, text: str) -> str:
        return self._redactor.redact(text)

    def _record(self, action: str, number: int | None, url: str | None) -> None:
        record_github_write(action, number, url, self._redactor)

    # Writes: text redacted.
    def create_comment(self, number: int, body: str) -> CommentInfo:
        """Post a comment, redacted."""
        posted = self._inner.create_comment(number, self._clean(body))
        self._record("comment created", number, posted.html_url)
        return posted

    def edit_comment(self, comment_id: int, body: str) -> None:
        """Replace a comment's body, redacted."""
        self._inner.edit_comment(comment_id, self._clean(body))
        self._record(f"comment {comment_id} edited", None, None)

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body (answers folded in), redacted."""
        self._inner.edit_issue_body(number, self._clean(body))
        self._record("issue body edited", number, None)

    def set_status(
        self, sha: str, context: str, state: StatusState, description: str, url: str | None
    ) -> None:
        """Set a commit status, its description redacted."""
        self._inner.set_status(sha, context, state, self._clean(description), url)
        self._record(f"status {context} {state} on {sha[:12]}", None, url)

    def open_pull(self, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request, title and body redacted."""
        pull = self._inner.open_pull(head, base, self._clean(title), self._clean(body))
        self._record("pull request opened", pull.number, pull.html_url)
        return pull

    def update_pull(self, number: int, title: str, body: str) -> None:
        """Change a pull request, title and body redacted."""
        self._inner.update_pull(number, self._clean(title), self._clean(body))
        self._record("pull request updated", number, None)

    def post_review(self, number: int, commit_sha: str, draft: ReviewDraft) -> int:
        """Post a review, its body and every inline comment redacted."""
        comments = tuple(
            comment.model_copy(update={"body": self._clean(comment.body)})
            for comment in draft.comments
        )
        clean = draft.model_copy(update={"body": self._clean(draft.body), "comments": comments})
        review_id = self._inner.post_review(number, commit_sha, clean)
        self._record(f"review posted ({len(comments)} inline comments)", number, None)
        return review_id

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> None:
        """Reply in a review thread, redacted."""
        self._inner.reply_to_review_comment(number, comment_id, self._clean(body))
        self._record("review thread answered", number, None)

    def complete_check_run(
        self,
        check_run_id: int,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Sequence[Annotation],
    ) -> None:
        """Complete a check run, title, summary and annotations redacted."""
        clean = [
            note.model_copy(
                update={"title": self._clean(note.title), "message": self._clean(note.message)}
            )
            for note in annotations
        ]
        self._inner.complete_check_run(
            check_run_id, conclusion, self._clean(title), self._clean(summary), clean
        )
        self._record(f"check run {check_run_id} completed: {conclusion}", None, None)

    # Reads and the rest: passed through.
    def permission(self, login: str) -> Permission:
        """As the wrapped port."""
        return self._inner.permission(login)

    def issue(self, number: int) -> IssueInfo:
        """As the wrapped port."""
        return self._inner.issue(number)

    def react_to_issue(self, number: int, reaction: Reaction) -> None:
        """As the wrapped port."""
        self._inner.react_to_issue(number, reaction)

    def react_to_comment(self, comment_id: int, reaction: Reaction) -> None:
        """As the wrapped port."""
        self._inner.react_to_comment(comment_id, reaction)

    def comments(self, number: int) -> list[CommentInfo]:
        """Every comment of an issue or pull request."""
        return self._inner.comments(number)

    def commit_message(self, sha: str) -> str:
        """The message of a commit."""
        return self._inner.commit_message(sha)

    def find_own_comment(self, number: int, marker: str) -> CommentInfo | None:
        """As the wrapped port."""
        return self._inner.find_own_comment(number, marker)

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        """As the wrapped port."""
        return self._inner.read_file(path, ref)

    def default_branch(self) -> str:
        """As the wrapped port."""
        return self._inner.default_branch()

    def branch_sha(self, branch: str) -> str | None:
        """As the wrapped port."""
        return self._inner.branch_sha(branch)

    def find_open_pull(self, head_branch: str) -> PullInfo | None:
        """As the wrapped port."""
        return self._inner.find_open_pull(head_branch)

    def pull(self, number: int) -> PullInfo:
        """As the wrapped port."""
        return self._inner.pull(number)

    def pull_files(self, number: int) -> list[FileDiff]:
        """As the wrapped port."""
        return self._inner.pull_files(number)

    def find_own_review(self, number: int, marker: str) -> int | None:
        """As the wrapped port."""
        return self._inner.find_own_review(number, marker)

    def review_comments(self, number: int) -> list[ReviewCommentInfo]:
        """As the wrapped port."""
        return self._inner.review_comments(number)

    def start_check_run(
        self,
        sha: str,
        name: str,
        details_url: str | None,
        external_id: str | None = None,
        *,
        look_first: bool = True,
    ) -> int:
        """As the wrapped port."""
        check_run_id = self._inner.start_check_run(
            sha, name, details_url, external_id, look_first=look_first
        )
        self._record(f"check run {name} started", None, None)
        return check_run_id

    def git_credentials(self) -> tuple[str, str]:
        """As the wrapped port."""
        return self._inner.git_credentials()

    def clone_url(self) -> str:
        """As the wrapped port."""
        return self._inner.clone_url()
