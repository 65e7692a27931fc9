"""The small interfaces the core needs from the outside world, in specbot's own verbs.

Flows depend on these Protocols, never on PyGithub, GitPython or the anthropic SDK; the
adapters in ``bot/adapters/`` implement them. The values crossing a port are plain frozen
models, so that a step's result can be stored by the durable engine as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bot.review import Annotation, ReviewDraft

Permission = Literal["admin", "maintain", "write", "triage", "read", "none"]
Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]
StatusState = Literal["error", "failure", "pending", "success"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class IssueInfo(_Value):
    """An issue as a flow needs it."""

    number: int
    title: str
    body: str | None
    author: str
    labels: tuple[str, ...]
    state: str
    html_url: str


class CommentInfo(_Value):
    """An issue or pull-request conversation comment."""

    id: int
    body: str
    author: str
    html_url: str


class PullInfo(_Value):
    """A pull request as a flow needs it."""

    number: int
    title: str
    body: str | None
    head_ref: str
    head_sha: str
    base_ref: str
    state: str
    html_url: str
    from_fork: bool  # the head branch lives in another repository (or one since deleted)


class FileDiff(_Value):
    """One changed file of a pull request; ``patch`` is None for binary or huge files."""

    path: str
    status: str
    patch: str | None
    additions: int
    deletions: int


class ReviewCommentInfo(_Value):
    """An inline review comment, with the comment it replies to."""

    id: int
    body: str
    author: str
    path: str
    line: int | None
    in_reply_to_id: int | None
    review_id: int | None = None


class GitIdentity(_Value):
    """The name and e-mail that author specbot's commits."""

    name: str
    email: str


def bot_identity(login: str) -> GitIdentity:
    """How the App's commits are signed: its ``<slug>[bot]`` login and GitHub's no-reply mail."""
    return GitIdentity(name=login, email=f"{login}@users.noreply.github.com")


class RepoGitHub(Protocol):
    """What specbot does on one repository, on behalf of one installation or token."""

    full_name: str
    bot_login: str

    def permission(self, login: str) -> Permission:
        """The user's permission on the repository (``none`` when not a collaborator)."""
        ...

    def issue(self, number: int) -> IssueInfo:
        """Read one issue (or pull request, as an issue)."""
        ...

    def react_to_issue(self, number: int, reaction: Reaction) -> None:
        """Add a reaction to an issue or pull request."""
        ...

    def react_to_comment(self, comment_id: int, reaction: Reaction) -> None:
        """Add a reaction to an issue comment."""
        ...

    def find_own_comment(self, number: int, marker: str) -> CommentInfo | None:
        """The first comment by ``bot_login`` on the issue whose body contains ``marker``."""
        ...

    def create_comment(self, number: int, body: str) -> CommentInfo:
        """Post a conversation comment on an issue or pull request."""
        ...

    def edit_comment(self, comment_id: int, body: str) -> None:
        """Replace the body of a comment."""
        ...

    def comments(self, number: int) -> list[CommentInfo]:
        """Every conversation comment of an issue or pull request, oldest first."""
        ...

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace the body of an issue."""
        ...

    def set_status(
        self, sha: str, context: str, state: StatusState, description: str, url: str | None
    ) -> None:
        """Set a commit status (description cut to GitHub's 140 characters)."""
        ...

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        """A text file of the repository at ``ref`` (default branch if None), None if absent."""
        ...

    def default_branch(self) -> str:
        """The repository's default branch."""
        ...

    def branch_sha(self, branch: str) -> str | None:
        """The commit a branch points at, None if the branch does not exist."""
        ...

    def commit_message(self, sha: str) -> str:
        """The full message of commit ``sha`` (trailers included)."""
        ...

    def find_open_pull(self, head_branch: str) -> PullInfo | None:
        """The open pull request whose head is ``head_branch`` in this repository."""
        ...

    def open_pull(self, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request."""
        ...

    def update_pull(self, number: int, title: str, body: str) -> None:
        """Change a pull request's title and body."""
        ...

    def pull(self, number: int) -> PullInfo:
        """Read one pull request."""
        ...

    def pull_files(self, number: int) -> list[FileDiff]:
        """Every changed file of a pull request, with its patch."""
        ...

    def post_review(self, number: int, commit_sha: str, draft: ReviewDraft) -> int:
        """Post one review with its inline comments; returns the review id."""
        ...

    def find_own_review(self, number: int, marker: str) -> int | None:
        """The id of specbot's review on the pull request whose body holds ``marker``."""
        ...

    def review_comments(self, number: int) -> list[ReviewCommentInfo]:
        """Every inline review comment of a pull request."""
        ...

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> None:
        """Reply in the thread of an inline review comment."""
        ...

    def start_check_run(
        self,
        sha: str,
        name: str,
        details_url: str | None,
        external_id: str | None = None,
        *,
        look_first: bool = True,
    ) -> int:
        """Create an in-progress check run; its id. With ``external_id`` and ``look_first``,
        the one an earlier attempt created with that id is found and returned instead."""
        ...

    def complete_check_run(
        self,
        check_run_id: int,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Sequence[Annotation],
    ) -> None:
        """Complete a check run with its output, sending annotations 50 at a time."""
        ...

    def git_credentials(self) -> tuple[str, str]:
        """Username and password for git over HTTPS (never logged, never given to agents)."""
        ...

    def clone_url(self) -> str:
        """The repository's HTTPS clone URL, without credentials."""
        ...
