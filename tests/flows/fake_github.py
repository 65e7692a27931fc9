"""Recording fakes of the flows' ports, for handler tests that run in milliseconds.

``FakeGitHub`` implements ``RepoGitHub`` over an in-memory repository and records every call
(reads and writes) in order, as bedevere's ``FakeGH`` records what would be posted. ``FakeRuns``
implements the engine's ``Runs`` port: started runs are kept, not run. The end-to-end tests
(localhub, the scripted model, the durable engine) keep covering the real adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.ports import (
    CommentInfo,
    FileDiff,
    IssueInfo,
    Permission,
    PullInfo,
    Reaction,
    ReviewCommentInfo,
    StatusState,
)
from bot.review import Annotation, ReviewDraft

WRITES = frozenset(
    {
        "react_to_issue",
        "react_to_comment",
        "create_comment",
        "edit_comment",
        "edit_issue_body",
        "set_status",
        "open_pull",
        "update_pull",
        "post_review",
        "reply_to_review_comment",
        "start_check_run",
        "complete_check_run",
    }
)


@dataclass
class FakeGitHub:
    """One repository in memory; ``calls`` lists every port call with its arguments."""

    full_name: str = "acme/widgets"
    bot_login: str = "specbot[bot]"
    permissions: dict[str, Permission] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # default branch: path -> text
    issues: dict[int, IssueInfo] = field(default_factory=dict)
    pulls: dict[int, PullInfo] = field(default_factory=dict)
    commit_messages: dict[str, str] = field(default_factory=dict)
    conversation: dict[int, list[CommentInfo]] = field(default_factory=dict)
    threads: dict[int, list[ReviewCommentInfo]] = field(default_factory=dict)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    _next_id: int = 1000

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def writes(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The calls that would change something on GitHub, in order."""
        return [call for call in self.calls if call[0] in WRITES]

    def called(self, name: str) -> list[tuple[Any, ...]]:
        """The arguments of every call of ``name``."""
        return [args for called, args in self.calls if called == name]

    # -- reads --------------------------------------------------------------------------------
    def permission(self, login: str) -> Permission:
        self._record("permission", login)
        return self.permissions.get(login, "read")

    def issue(self, number: int) -> IssueInfo:
        self._record("issue", number)
        return self.issues[number]

    def find_own_comment(self, number: int, marker: str) -> CommentInfo | None:
        self._record("find_own_comment", number, marker)
        own = [c for c in self.conversation.get(number, []) if c.author == self.bot_login]
        return next((c for c in own if marker in c.body), None)

    def comments(self, number: int) -> list[CommentInfo]:
        self._record("comments", number)
        return list(self.conversation.get(number, []))

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        self._record("read_file", path, ref)
        return self.files.get(path)

    def default_branch(self) -> str:
        self._record("default_branch")
        return "main"

    def branch_sha(self, branch: str) -> str | None:
        self._record("branch_sha", branch)
        return "0" * 40

    def commit_message(self, sha: str) -> str:
        self._record("commit_message", sha)
        return self.commit_messages.get(sha, "a person's commit")

    def find_open_pull(self, head_branch: str) -> PullInfo | None:
        self._record("find_open_pull", head_branch)
        return next((p for p in self.pulls.values() if p.head_ref == head_branch), None)

    def pull(self, number: int) -> PullInfo:
        self._record("pull", number)
        return self.pulls[number]

    def pull_files(self, number: int) -> list[FileDiff]:
        self._record("pull_files", number)
        return []

    def find_own_review(self, number: int, marker: str) -> int | None:
        self._record("find_own_review", number, marker)
        return None

    def review_comments(self, number: int) -> list[ReviewCommentInfo]:
        self._record("review_comments", number)
        return list(self.threads.get(number, []))

    def git_credentials(self) -> tuple[str, str]:
        self._record("git_credentials")
        return ("x-access-token", "fake-token")

    def clone_url(self) -> str:
        self._record("clone_url")
        return f"https://github.invalid/{self.full_name}.git"

    # -- writes -------------------------------------------------------------------------------
    def react_to_issue(self, number: int, reaction: Reaction) -> None:
        self._record("react_to_issue", number, reaction)

    def react_to_comment(self, comment_id: int, reaction: Reaction) -> None:
        self._record("react_to_comment", comment_id, reaction)

    def create_comment(self, number: int, body: str) -> CommentInfo:
        self._record("create_comment", number, body)
        comment = CommentInfo(id=self._new_id(), body=body, author=self.bot_login, html_url="")
        self.conversation.setdefault(number, []).append(comment)
        return comment

    def edit_comment(self, comment_id: int, body: str) -> None:
        self._record("edit_comment", comment_id, body)

    def edit_issue_body(self, number: int, body: str) -> None:
        self._record("edit_issue_body", number, body)
        self.issues[number] = self.issues[number].model_copy(update={"body": body})

    def set_status(
        self, sha: str, context: str, state: StatusState, description: str, url: str | None
    ) -> None:
        self._record("set_status", sha, context, state, description, url)

    def open_pull(self, head: str, base: str, title: str, body: str) -> PullInfo:
        self._record("open_pull", head, base, title, body)
        raise NotImplementedError("handler tests do not open pull requests")

    def update_pull(self, number: int, title: str, body: str) -> None:
        self._record("update_pull", number, title, body)

    def post_review(self, number: int, commit_sha: str, draft: ReviewDraft) -> int:
        self._record("post_review", number, commit_sha, draft)
        return self._new_id()

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> None:
        self._record("reply_to_review_comment", number, comment_id, body)

    def start_check_run(
        self,
        sha: str,
        name: str,
        details_url: str | None,
        external_id: str | None = None,
        *,
        look_first: bool = True,
    ) -> int:
        self._record("start_check_run", sha, name, details_url, external_id)
        return self._new_id()

    def complete_check_run(
        self,
        check_run_id: int,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Sequence[Annotation],
    ) -> None:
        self._record("complete_check_run", check_run_id, conclusion, title, summary)


@dataclass
class Started:
    """One run a handler started: its pipeline, data, id, queue and partition."""

    pipeline: str
    data: dict[str, Any]
    workflow_id: str
    queue: str
    partition: str | None


@dataclass
class FakeRuns:
    """The engine's ``Runs`` port in memory: starts are recorded; statuses are set by tests."""

    started: list[Started] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)

    def start_pipeline(
        self, name: str, data: dict[str, Any], *, workflow_id: str, queue: str = "", **kw: Any
    ) -> str:
        if workflow_id not in self.statuses:  # a repeat attaches to the first run
            self.started.append(Started(name, data, workflow_id, queue, kw.get("partition")))
            self.statuses[workflow_id] = "ENQUEUED"
        return workflow_id

    def cancel(self, workflow_id: str) -> None:
        self.cancelled.append(workflow_id)
        self.statuses[workflow_id] = "CANCELLED"

    def run_ids(self, prefix: str) -> list[str]:
        return [run for run in self.statuses if run.startswith(prefix)]

    def status(self, workflow_id: str) -> str:
        return self.statuses[workflow_id]

    def result(self, workflow_id: str, *, timeout: float = 0.0) -> Any:
        return self.results[workflow_id]
