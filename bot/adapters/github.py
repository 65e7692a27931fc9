"""``RepoGitHub`` on PyGithub: the only module that talks to GitHub's REST API.

Clients are lazy (``Github(lazy=True)``): ``repo.get_issue(n).create_reaction(...)`` is one
POST, not a GET followed by a POST. Retries: PyGithub's ``GithubRetry`` handles rate limits
(primary reset and secondary ``Retry-After``) and 5xx on reads; a non-idempotent write that
fails is not retried here but by the durable step around it, which first looks for the effect
(comment marker, branch, pull request) so that a retry never duplicates it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import structlog
from github import Auth, Github, GithubException, GithubRetry, UnknownObjectException
from github.ContentFile import ContentFile
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.Repository import Repository
from urllib3.util.retry import Retry

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
from bot.review import ANNOTATIONS_PER_REQUEST, Annotation, ReviewDraft
from bot.telemetry import METRICS

log = structlog.get_logger("specbot.github")
_PERMISSIONS: tuple[Permission, ...] = ("admin", "maintain", "write", "triage", "read", "none")
_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})


class SpecbotRetry(GithubRetry):
    """``GithubRetry`` that never repeats a POST after a 5xx: it may have created something.

    Rate-limit refusals (403/429) are retried for every method: GitHub did nothing then.
    It also counts every request in the metrics: urllib3 asks ``is_retry`` once about each
    response it receives and calls ``increment`` on each failure to get one, retried or not,
    which PyGithub offers no other hook to see.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether urllib3 may send this request again."""
        METRICS.observe_github_call(method.upper(), status_code)
        if method.upper() == "POST" and status_code >= 500:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    # GithubRetry.increment is typed to return Retry, not urllib3's Self: so is this one.
    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        """Count a request that got no answer (connection refused, timeout), then retry."""
        if response is None and error is not None:
            METRICS.observe_github_call((method or "").upper(), None)
        return super().increment(method, url, response, error, _pool, _stacktrace)


def is_transient_error(exc: BaseException) -> bool:
    """True for a failure worth another try later: a 5xx (a POST is never repeated blindly; a
    read whose own retries all met 5xx ends as ``RetryError``) or GitHub unreachable."""
    if isinstance(exc, GithubException):
        return exc.status >= 500
    transient = (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError)
    return isinstance(exc, transient)


def make_retry(total: int = 5, max_rate_limit_wait: float = 900.0) -> GithubRetry:
    """PyGithub's retry policy for specbot: rate limits waited out, bounded attempts."""
    return SpecbotRetry(
        total=total,
        backoff_factor=0.5,
        max_rate_limit_wait=max_rate_limit_wait,
        allowed_methods=_METHODS,
        status_forcelist=[500, 502, 503, 504],
    )


def make_client(
    api_url: str,
    auth: Auth.Auth,
    *,
    pace_writes: bool = True,
    timeout: int = 30,
    retry: GithubRetry | None = None,
) -> Github:
    """A lazy PyGithub client; ``pace_writes=False`` only against localhub in tests.

    The rate limit it has left is reported in the metrics while the client lives.
    """
    client = Github(
        base_url=api_url.rstrip("/"),
        auth=auth,
        timeout=timeout,
        lazy=True,
        retry=retry or make_retry(),
        seconds_between_requests=0.0 if not pace_writes else 0.25,
        seconds_between_writes=0.0 if not pace_writes else 1.0,
    )
    METRICS.watch_rate_limit(client.requester)
    return client


def _issue_info(issue: Any) -> IssueInfo:
    return IssueInfo(
        number=issue.number,
        title=issue.title or "",
        body=issue.body,
        author=issue.user.login if issue.user else "ghost",
        labels=tuple(label.name for label in issue.labels),
        state=issue.state,
        html_url=issue.html_url,
    )


def _pull_info(pull: PullRequest) -> PullInfo:
    # GitHub sends ``head.repo: null`` when the fork was deleted: a fork all the same
    head_repo = pull.head.raw_data.get("repo")
    return PullInfo(
        number=pull.number,
        title=pull.title or "",
        body=pull.body,
        head_ref=pull.head.ref,
        head_sha=pull.head.sha,
        base_ref=pull.base.ref,
        state=pull.state,
        html_url=pull.html_url,
        from_fork=not isinstance(head_repo, dict) or head_repo.get("id") != pull.base.repo.id,
    )


def _next_link(link_header: str) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    for part in link_header.split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None


MAX_RESET_WAIT_SECONDS = 900.0
_F = TypeVar("_F", bound=Callable[..., Any])


def waits_for_reset(method: _F) -> _F:
    """Before a write: when the last response said no request is left, sleep until the reset.

    GitHub answers every request 403 until ``X-RateLimit-Reset`` once ``X-RateLimit-Remaining``
    is 0; waiting first spends no request on a refusal (the retry policy handles a 403 too).
    """

    @functools.wraps(method)
    def paced(self: PyGithubRepo, *args: Any, **kwargs: Any) -> Any:
        requester = self._client.requester
        remaining, limit = requester.rate_limiting
        if limit > 0 and remaining == 0:
            wait = requester.rate_limiting_resettime - time.time() + 1.0
            if 0 < wait <= MAX_RESET_WAIT_SECONDS:
                log.warning("GitHub rate limit reached: waiting for its reset", seconds=wait)
                time.sleep(wait)
        return method(self, *args, **kwargs)

    return paced  # type: ignore[return-value]


def web_url(api_url: str) -> str:
    """The web (and git) root of a GitHub whose REST API is at ``api_url``.

    ``https://api.github.com`` -> ``https://github.com``; GitHub Enterprise Server's
    ``https://HOST/api/v3`` -> ``https://HOST``; ``https://api.SUB.ghe.com`` ->
    ``https://SUB.ghe.com``. Credentials, query and fragment are dropped.
    """
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.hostname or ""
    path = parts.path
    if path.endswith("/api/v3"):
        path = path.removesuffix("/api/v3")
    elif host.startswith("api.") and not path:
        host = host.removeprefix("api.")
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, path, "", ""))


class PyGithubRepo:
    """One repository through one authenticated PyGithub client."""

    def __init__(self, client: Github, auth: Auth.Auth, full_name: str, bot_login: str) -> None:
        self.full_name = full_name
        self.bot_login = bot_login
        self._client = client
        self._auth = auth
        self._repo: Repository = client.get_repo(full_name)  # lazy: the client is

    def _issue_comment(self, comment_id: int) -> IssueComment:
        # Lazy: no GET; the reaction or edit is the only request.
        url = f"{self._repo.url}/issues/comments/{comment_id}"
        return IssueComment(self._repo._requester, url=url)

    def permission(self, login: str) -> Permission:
        """The user's permission on the repository (``none`` when unknown)."""
        try:
            value = self._repo.get_collaborator_permission(login)
        except UnknownObjectException:
            return "none"
        return value if value in _PERMISSIONS else "none"

    def issue(self, number: int) -> IssueInfo:
        """Read one issue."""
        issue = self._repo.get_issue(number)
        issue.update()
        return _issue_info(issue)

    @waits_for_reset
    def react_to_issue(self, number: int, reaction: Reaction) -> None:
        """Add a reaction to an issue or pull request."""
        self._repo.get_issue(number).create_reaction(reaction)

    @waits_for_reset
    def react_to_comment(self, comment_id: int, reaction: Reaction) -> None:
        """Add a reaction to an issue comment."""
        self._issue_comment(comment_id).create_reaction(reaction)

    def find_own_comment(self, number: int, marker: str) -> CommentInfo | None:
        """The first comment by ``bot_login`` containing ``marker``, if any."""
        for comment in self._repo.get_issue(number).get_comments():
            if comment.user.login == self.bot_login and marker in (comment.body or ""):
                return CommentInfo(
                    id=comment.id,
                    body=comment.body or "",
                    author=comment.user.login,
                    html_url=comment.html_url,
                )
        return None

    @waits_for_reset
    def create_comment(self, number: int, body: str) -> CommentInfo:
        """Post a conversation comment."""
        comment = self._repo.get_issue(number).create_comment(body)
        return CommentInfo(
            id=comment.id, body=comment.body, author=comment.user.login, html_url=comment.html_url
        )

    @waits_for_reset
    def edit_comment(self, comment_id: int, body: str) -> None:
        """Replace a comment's body."""
        self._issue_comment(comment_id).edit(body)

    def comments(self, number: int) -> list[CommentInfo]:
        """Every conversation comment, oldest first (raw pages: one request per 100)."""
        return [
            CommentInfo(
                id=int(item["id"]),
                body=item.get("body") or "",
                author=(item.get("user") or {}).get("login", "ghost"),
                html_url=item.get("html_url") or "",
            )
            for item in self._get_pages(f"{self._repo.url}/issues/{number}/comments")
        ]

    @waits_for_reset
    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body (one PATCH, no read first)."""
        self._repo._requester.requestJsonAndCheck(
            "PATCH", f"{self._repo.url}/issues/{number}", input={"body": body}
        )

    @waits_for_reset
    def set_status(
        self, sha: str, context: str, state: StatusState, description: str, url: str | None
    ) -> None:
        """Set a commit status; GitHub refuses descriptions over 140 characters."""
        kwargs: dict[str, str] = {"description": description[:140], "context": context}
        if url:
            kwargs["target_url"] = url
        self._repo.get_commit(sha).create_status(state, **kwargs)

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        """A text file at ``ref``, or None when it does not exist or is a directory.

        A path must stay in this repository: ``..`` segments would be resolved in the URL
        into another repository's contents, which the installation's token may read.
        """
        parts = path.split("/")
        if ".." in parts or "." in parts or path.startswith("/") or "%" in path or "\\" in path:
            raise ValueError(f"not a path inside the repository: {path!r}")
        try:
            found = self._repo.get_contents(path, ref=ref) if ref else self._repo.get_contents(path)
        except UnknownObjectException:
            return None
        if not isinstance(found, ContentFile) or found.type != "file":
            return None
        return found.decoded_content.decode("utf-8", errors="replace")

    def default_branch(self) -> str:
        """The repository's default branch (read once per adapter)."""
        return self._repo.default_branch

    def branch_sha(self, branch: str) -> str | None:
        """The commit ``branch`` points at, None if it does not exist."""
        try:
            return self._repo.get_git_ref(f"heads/{branch}").object.sha
        except UnknownObjectException:
            return None

    def commit_message(self, sha: str) -> str:
        """The full message of commit ``sha`` (one GET of the commit)."""
        return str(self._repo.get_commit(sha).commit.message)

    def find_open_pull(self, head_branch: str) -> PullInfo | None:
        """The open pull request from ``head_branch`` of this repository, if any."""
        owner = self.full_name.split("/", 1)[0]
        for pull in self._repo.get_pulls(state="open", head=f"{owner}:{head_branch}"):
            found = _pull_info(pull)
            if found.head_ref == head_branch and not found.from_fork:
                return found
        return None

    @waits_for_reset
    def open_pull(self, head: str, base: str, title: str, body: str) -> PullInfo:
        """Open a pull request."""
        return _pull_info(self._repo.create_pull(base=base, head=head, title=title, body=body))

    @waits_for_reset
    def update_pull(self, number: int, title: str, body: str) -> None:
        """Change a pull request's title and body."""
        self._repo.get_pull(number).edit(title=title, body=body)

    def pull(self, number: int) -> PullInfo:
        """Read one pull request."""
        pull = self._repo.get_pull(number)
        pull.update()
        return _pull_info(pull)

    def pull_files(self, number: int) -> list[FileDiff]:
        """Every changed file of a pull request."""
        return [
            FileDiff(
                path=item.filename,
                status=item.status,
                patch=item.patch,
                additions=item.additions,
                deletions=item.deletions,
            )
            for item in self._repo.get_pull(number).get_files()
        ]

    @waits_for_reset
    def post_review(self, number: int, commit_sha: str, draft: ReviewDraft) -> int:
        """Post one review with its inline comments; returns the review id."""
        comments: list[dict[str, Any]] = []
        for comment in draft.comments:
            item: dict[str, Any] = {
                "path": comment.path,
                "line": comment.line,
                "side": comment.side,
                "body": comment.body,
            }
            if comment.start_line is not None:
                item["start_line"] = comment.start_line
                item["start_side"] = comment.side
            comments.append(item)
        payload = {
            "commit_id": commit_sha,
            "body": draft.body,
            "event": draft.event.value,
            "comments": comments,
        }
        _, data = self._repo._requester.requestJsonAndCheck(
            "POST", f"{self._repo.url}/pulls/{number}/reviews", input=payload
        )
        return int(data["id"])

    def find_own_review(self, number: int, marker: str) -> int | None:
        """The id of a review by ``bot_login`` on the pull request whose body holds ``marker``."""
        for item in self._get_pages(f"{self._repo.url}/pulls/{number}/reviews"):
            author = (item.get("user") or {}).get("login")
            if author == self.bot_login and marker in (item.get("body") or ""):
                return int(item["id"])
        return None

    def _get_pages(self, url: str) -> list[dict[str, Any]]:
        # Raw pages rather than PyGithub objects: a lazy object fetches itself again for every
        # field GitHub leaves out of list items (``in_reply_to_id`` on a thread's first comment).
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        parameters: dict[str, Any] | None = {"per_page": 100}
        while next_url:
            headers, data = self._repo._requester.requestJsonAndCheck(
                "GET", next_url, parameters=parameters
            )
            items.extend(data)
            next_url, parameters = _next_link(headers.get("link", "")), None
        return items

    def review_comments(self, number: int) -> list[ReviewCommentInfo]:
        """Every inline review comment of a pull request, oldest first."""
        return [
            ReviewCommentInfo(
                id=item["id"],
                body=item.get("body") or "",
                author=(item.get("user") or {}).get("login", "ghost"),
                path=item["path"],
                line=item.get("line"),
                in_reply_to_id=item.get("in_reply_to_id"),
                review_id=item.get("pull_request_review_id"),
            )
            for item in self._get_pages(f"{self._repo.url}/pulls/{number}/comments")
        ]

    @waits_for_reset
    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> None:
        """Reply in an inline comment's thread."""
        self._repo.get_pull(number).create_review_comment_reply(comment_id, body)

    @waits_for_reset
    def start_check_run(
        self,
        sha: str,
        name: str,
        details_url: str | None,
        external_id: str | None = None,
        *,
        look_first: bool = True,
    ) -> int:
        """Create an in-progress check run; with ``external_id``, first look for the one a
        failed earlier try may have created (unless ``look_first`` is False: a first try)."""
        if external_id and look_first:
            for found in self._repo.get_commit(sha).get_check_runs(check_name=name):
                if found.external_id == external_id:
                    return int(found.id)
        kwargs: dict[str, Any] = {"status": "in_progress"}
        if details_url:
            kwargs["details_url"] = details_url
        if external_id:
            kwargs["external_id"] = external_id
        return self._repo.create_check_run(name=name, head_sha=sha, **kwargs).id

    @waits_for_reset
    def complete_check_run(
        self,
        check_run_id: int,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Sequence[Annotation],
    ) -> None:
        """Complete a check run; annotations go 50 per request, as GitHub requires."""
        batches = [
            annotations[start : start + ANNOTATIONS_PER_REQUEST]
            for start in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        url = f"{self._repo.url}/check-runs/{check_run_id}"
        for index, batch in enumerate(batches):
            output = {
                "title": title[:255],
                "summary": summary[:65_535],
                "annotations": [item.model_dump() for item in batch],
            }
            payload: dict[str, Any] = {"output": output}
            if index == len(batches) - 1:
                payload |= {"status": "completed", "conclusion": conclusion}
            self._repo._requester.requestJsonAndCheck("PATCH", url, input=payload)

    def git_credentials(self) -> tuple[str, str]:
        """``x-access-token`` and the current token (refreshed before expiry), for git."""
        return "x-access-token", self._auth.token

    def clone_url(self) -> str:
        """The HTTPS clone URL, without credentials (from the API's URL: no request)."""
        return f"{web_url(self._repo._requester.base_url)}/{self.full_name}.git"


def token_repo(
    api_url: str, token: str, full_name: str, bot_login: str, *, pace_writes: bool = True
) -> PyGithubRepo:
    """A repository through a plain token: a workflow's ``GITHUB_TOKEN`` or an App token."""
    auth = Auth.Token(token)
    client = make_client(api_url, auth, pace_writes=pace_writes)
    return PyGithubRepo(client, auth, full_name, bot_login=bot_login)


__all__ = [
    "GithubException",
    "PyGithubRepo",
    "SpecbotRetry",
    "is_transient_error",
    "make_client",
    "make_retry",
    "token_repo",
]
