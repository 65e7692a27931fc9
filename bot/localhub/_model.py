"""The state localhub keeps: plain pydantic records, serialisable as one JSON document."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field

ROLES = ("read", "triage", "write", "maintain", "admin")


def role_rank(role: str | None) -> int:
    """Order of repository roles: 0 for none, 1 for read ... 5 for admin."""
    return ROLES.index(role) + 1 if role in ROLES else 0


class User(BaseModel):
    """A user, organisation or bot account."""

    id: int
    login: str
    type: str = "User"
    name: str | None = None
    email: str | None = None
    token: str | None = None
    created_at: str


class Label(BaseModel):
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


class Repo(BaseModel):
    """A repository; its git objects live in a bare repository on disk."""

    id: int
    owner: str
    name: str
    private: bool = False
    default_branch: str = "main"
    description: str | None = None
    collaborators: dict[str, str] = Field(default_factory=dict)
    fork_of: str | None = None  # the parent's full name when this repository is a fork
    labels: dict[str, Label] = Field(default_factory=dict)
    next_number: int = 1
    created_at: str
    updated_at: str
    pushed_at: str

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"


class PullInfo(BaseModel):
    """What makes an issue a pull request."""

    head_ref: str
    head_sha: str
    head_repo: str | None = None  # the fork the head branch lives in; None: this repository
    base_ref: str
    base_sha: str
    draft: bool = False
    merged: bool = False
    merged_at: str | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None


class Issue(BaseModel):
    """An issue or, with ``pull`` set, a pull request (they share numbers as on GitHub)."""

    id: int
    pull_id: int | None = None
    repo: str
    number: int
    title: str
    body: str | None = None
    user: str
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)
    locked: bool = False
    created_at: str
    updated_at: str
    closed_at: str | None = None
    closed_by: str | None = None
    pull: PullInfo | None = None


class IssueComment(BaseModel):
    """A comment on an issue or pull request conversation."""

    id: int
    repo: str
    number: int
    user: str
    body: str
    created_at: str
    updated_at: str


class Reaction(BaseModel):
    """An emoji reaction to an issue, or to one of its comments when ``comment_id`` is set."""

    id: int
    repo: str
    number: int
    user: str
    content: str
    created_at: str
    comment_id: int | None = None


class Review(BaseModel):
    """A pull request review."""

    id: int
    repo: str
    number: int
    user: str
    body: str
    state: str
    commit_id: str
    submitted_at: str


class ReviewComment(BaseModel):
    """An inline comment on a pull request diff."""

    id: int
    repo: str
    number: int
    review_id: int | None
    user: str
    body: str
    path: str
    line: int | None
    position: int = 1
    side: str = "RIGHT"
    start_line: int | None = None
    commit_id: str
    diff_hunk: str
    in_reply_to_id: int | None = None
    created_at: str
    updated_at: str


class CommitStatus(BaseModel):
    """A commit status (``POST /statuses/{sha}``)."""

    id: int
    repo: str
    sha: str
    state: str
    context: str
    description: str | None = None
    target_url: str | None = None
    creator: str
    created_at: str
    updated_at: str


class CheckSuite(BaseModel):
    """The check suite an App's check runs for one commit belong to."""

    id: int
    repo: str
    head_sha: str
    head_branch: str | None
    app_id: int
    status: str = "queued"
    conclusion: str | None = None
    created_at: str
    updated_at: str


class CheckRun(BaseModel):
    """A check run created by a GitHub App."""

    id: int
    repo: str
    head_sha: str
    name: str
    app_id: int
    suite_id: int
    status: str = "queued"
    conclusion: str | None = None
    started_at: str
    completed_at: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    output: dict[str, Any] = Field(default_factory=dict)


class App(BaseModel):
    """A GitHub App: its public key verifies the JWTs it signs."""

    id: int
    slug: str
    name: str
    owner: str
    public_key_pem: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    created_at: str
    # set by the manifest flow; seeded Apps report their installations' permissions
    description: str | None = None
    url: str | None = None
    permissions: dict[str, str] = Field(default_factory=dict)
    events: list[str] = Field(default_factory=list)
    # the OAuth client's secret (its id is ``Iv1.<id in hex>``): people sign in through the App
    client_secret: str = Field(default_factory=lambda: secrets.token_hex(20))


class OAuthCode(BaseModel):
    """A code the OAuth web flow handed out: exchanged once, within 10 minutes, for a token."""

    code: str
    app_id: int
    login: str
    redirect_uri: str
    expires_at: float


class ManifestCode(BaseModel):
    """A code the manifest flow handed out: exchanged once, within an hour, for the secrets."""

    code: str
    app_id: int
    pem: str
    client_secret: str
    expires_at: float


class Installation(BaseModel):
    """An App installed on an account for some repositories."""

    id: int
    app_id: int
    account: str
    repositories: list[str]
    permissions: dict[str, str]
    created_at: str


class Token(BaseModel):
    """A short-lived token: an App installation's, an Actions ``GITHUB_TOKEN``, or (kind
    ``user``) an App's user-to-server token acting as ``login``."""

    token: str
    kind: str
    installation_id: int | None = None
    expires_at: float
    permissions: dict[str, str]
    repositories: list[str]
    login: str | None = None
    app_id: int | None = None


class Hook(BaseModel):
    """A repository webhook."""

    id: int
    repo: str
    url: str
    secret: str | None = None
    events: list[str] = Field(default_factory=lambda: ["*"])
    active: bool = True
    created_at: str


class Delivery(BaseModel):
    """One webhook delivery attempt, as GitHub's "Recent Deliveries" lists it."""

    id: int
    guid: str
    hook_id: int
    target: str
    url: str
    event: str
    action: str | None = None
    repo: str | None = None
    installation_id: int | None = None
    status: str = "pending"
    status_code: int | None = None
    duration_ms: float | None = None
    delivered_at: str
    redelivery: bool = False
    payload: dict[str, Any]


class State(BaseModel):
    """Everything localhub knows, persisted as one document under ``--data``."""

    next_id: int = 1000
    users: dict[str, User] = Field(default_factory=dict)
    repos: dict[str, Repo] = Field(default_factory=dict)
    issues: dict[str, Issue] = Field(default_factory=dict)
    issue_comments: dict[int, IssueComment] = Field(default_factory=dict)
    reactions: dict[int, Reaction] = Field(default_factory=dict)
    reviews: dict[int, Review] = Field(default_factory=dict)
    review_comments: dict[int, ReviewComment] = Field(default_factory=dict)
    statuses: dict[int, CommitStatus] = Field(default_factory=dict)
    check_suites: dict[int, CheckSuite] = Field(default_factory=dict)
    check_runs: dict[int, CheckRun] = Field(default_factory=dict)
    apps: dict[int, App] = Field(default_factory=dict)
    installations: dict[int, Installation] = Field(default_factory=dict)
    tokens: dict[str, Token] = Field(default_factory=dict)
    hooks: dict[int, Hook] = Field(default_factory=dict)
    deliveries: dict[int, Delivery] = Field(default_factory=dict)
    manifest_codes: dict[str, ManifestCode] = Field(default_factory=dict)
    oauth_codes: dict[str, OAuthCode] = Field(default_factory=dict)


def issue_key(repo: str, number: int) -> str:
    """The key of an issue in ``State.issues``."""
    return f"{repo}#{number}"


class _OnThread(Protocol):
    id: int
    repo: str
    number: int


RecordT = TypeVar("RecordT", bound=_OnThread)


def thread_records(records: Iterable[RecordT], repo: str, number: int) -> list[RecordT]:
    """The records (comments, reviews...) on issue or pull request ``repo#number``, oldest first."""
    return sorted((r for r in records if r.repo == repo and r.number == number), key=lambda r: r.id)
