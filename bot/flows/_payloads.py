"""The webhook payloads the flows read, as small frozen models with only the fields they use.

Validated once, where a handler starts: GitHub adds fields without notice (ignored), and
sends ``null`` for an empty body or title (read as ``""``). A payload that lacks a field a
handler needs fails validation, and the handler ignores the delivery with one log line.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.ports import PullInfo


def _text(value: Any) -> Any:
    return "" if value is None else value


Text = Annotated[str, BeforeValidator(_text)]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class User(_Payload):
    """A user or bot as payloads carry one."""

    login: str
    type: str = "User"


class Label(_Payload):
    """A label on an issue."""

    name: Text


class Issue(_Payload):
    """An issue, or a pull request seen through the issues API (``pull_request`` set)."""

    number: int
    title: Text = ""
    body: Text = ""
    user: User | None = None
    labels: list[Label] = Field(default_factory=list)
    pull_request: dict[str, Any] | None = None

    @property
    def is_pull(self) -> bool:
        """True for a pull request's conversation (its comments come as issue comments)."""
        return self.pull_request is not None

    @property
    def author(self) -> str:
        """The login of whoever opened it, ``""`` when unknown."""
        return self.user.login if self.user is not None else ""

    def has_label(self, name: str) -> bool:
        """Whether the issue carries the label ``name``."""
        return any(label.name == name for label in self.labels)


class Comment(_Payload):
    """An issue or pull request comment."""

    id: int
    body: Text = ""


class RepoRef(_Payload):
    """The repository a branch lives in."""

    id: int | None = None
    full_name: Text = ""


class Branch(_Payload):
    """A pull request's head or base: branch, commit and repository."""

    ref: Text = ""
    sha: Text = ""
    repo: RepoRef | None = None  # null for the head of a deleted fork


class Repository(_Payload):
    """The repository a delivery is about."""

    full_name: Text = ""
    default_branch: Text = ""


class PullRequest(_Payload):
    """A pull request as its events carry it."""

    number: int
    state: Text = "open"
    title: Text = ""
    body: Text = ""
    html_url: Text = ""
    head: Branch
    base: Branch
    review_comments: int | None = None  # how many inline comments it has, when GitHub says

    def info(self) -> PullInfo:
        """The pull request as the ports describe it (no GET needed)."""
        return PullInfo(
            number=self.number,
            title=self.title,
            body=self.body,
            head_ref=self.head.ref,
            head_sha=self.head.sha,
            base_ref=self.base.ref,
            state=self.state,
            html_url=self.html_url,
            from_fork=self.from_fork,
        )

    @property
    def from_fork(self) -> bool:
        """True unless the head lives in the base repository (a deleted fork counts as one)."""
        head, base = self.head.repo, self.base.repo
        if head is None or base is None or head.id is None:
            return True
        return head.id != base.id


class ReviewComment(_Payload):
    """A review comment on a line of a pull request's diff."""

    id: int
    body: Text = ""
    path: Text = ""
    line: int | None = None
    in_reply_to_id: int | None = None


class Review(_Payload):
    """A submitted pull request review."""

    id: int
    state: Text = ""
    body: Text = ""


class PullRef(_Payload):
    """A pull request as a check run names it."""

    number: int


class CheckRun(_Payload):
    """A check run."""

    id: int
    name: Text = ""
    head_sha: str
    pull_requests: list[PullRef] = Field(default_factory=list)


class IssuesEvent(_Payload):
    """``issues``: labeled, edited."""

    issue: Issue
    label: Label | None = None
    changes: dict[str, Any] | None = None


class IssueCommentEvent(_Payload):
    """``issue_comment``: a comment on an issue or on a pull request's conversation."""

    issue: Issue
    comment: Comment


class _PullPayload(_Payload):
    """A payload about one pull request in one repository."""

    pull_request: PullRequest
    repository: Repository | None = None

    @property
    def into_default_branch(self) -> bool:
        """True when the pull request targets the repository's default branch (whose
        configuration the handler read: a flow can take it along instead of reading it again)."""
        default = self.repository.default_branch if self.repository is not None else ""
        return bool(default) and self.pull_request.base.ref == default


class PullRequestEvent(_PullPayload):
    """``pull_request``: opened, reopened, synchronize."""


class PullRequestReviewEvent(_PullPayload):
    """``pull_request_review``: submitted."""

    review: Review


class ReviewCommentEvent(_PullPayload):
    """``pull_request_review_comment``: created."""

    comment: ReviewComment


class CheckRunEvent(_Payload):
    """``check_run``: rerequested."""

    check_run: CheckRun


class Account(_Payload):
    """The account an installation belongs to."""

    login: Text = ""


class Installation(_Payload):
    """An installation of the App."""

    id: int | None = None
    account: Account | None = None


class NamedRepo(_Payload):
    """A repository as installation events list them."""

    full_name: str


class InstallationEvent(_Payload):
    """``installation`` and ``installation_repositories``."""

    installation: Installation | None = None
    repositories: list[NamedRepo] | None = None
    repositories_added: list[NamedRepo] | None = None
    repositories_removed: list[NamedRepo] | None = None

    def repository_names(self) -> list[str]:
        """Every repository the change names, in the payload's order."""
        lists = (self.repositories, self.repositories_added, self.repositories_removed)
        return [repo.full_name for found in lists for repo in found or []]
