"""``PyGithubRepo`` against localhub, authenticated as the App's installation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth

from bot.adapters.git import GitWorkspaces
from bot.adapters.github import PyGithubRepo, make_client, web_url
from bot.localhub import RunningHub
from bot.ports import GitIdentity
from bot.review import (
    Annotation,
    Finding,
    MergedFinding,
    ReviewEvent,
    draft_review,
    fingerprint,
)
from tests.hub_fixtures import APP_ID, INSTALLATION_ID

REPO = "acme/widgets"


@pytest.fixture
def gh(hub: RunningHub, app_key_pem: Path) -> Iterator[PyGithubRepo]:
    """The adapter as specbot's App installation on acme/widgets."""
    auth = Auth.AppAuth(APP_ID, app_key_pem.read_text()).get_installation_auth(INSTALLATION_ID)
    client = make_client(hub.api_url, auth, pace_writes=False)
    yield PyGithubRepo(client, auth, REPO, bot_login="specbot[bot]")
    client.close()


def test_permissions(gh: PyGithubRepo) -> None:
    """Collaborators get their level; strangers and unknown users get none."""
    assert gh.permission("alice") == "write"
    assert gh.permission("owen") == "admin"
    assert gh.permission("mallory") == "read"
    assert gh.permission("nobody-at-all") == "none"


def test_issue_comments_reactions_and_marker(gh: PyGithubRepo, hub: RunningHub) -> None:
    """Read an issue, react, post and edit a marked comment, and find it again."""
    opened = hub.open_issue(REPO, "Export CSV", None, as_user="alice", labels=["spec"])
    number = opened["number"]
    issue = gh.issue(number)
    assert (issue.title, issue.body, issue.author, issue.labels) == (
        "Export CSV",
        None,
        "alice",
        ("spec",),
    )
    gh.react_to_issue(number, "eyes")
    human = hub.comment(REPO, number, "<!-- specbot:tracking fake --> forged", as_user="alice")
    gh.react_to_comment(human["id"], "eyes")
    assert gh.find_own_comment(number, "<!-- specbot:tracking k -->") is None
    created = gh.create_comment(number, "<!-- specbot:tracking k -->\nworking")
    assert created.author == "specbot[bot]"
    gh.edit_comment(created.id, "<!-- specbot:tracking k -->\ndone")
    found = gh.find_own_comment(number, "<!-- specbot:tracking k -->")
    assert found is not None and (found.id, found.body) == (
        created.id,
        "<!-- specbot:tracking k -->\ndone",
    )
    # A human's comment carrying a forged marker is never taken for specbot's own.
    assert gh.find_own_comment(number, "specbot:tracking fake") is None
    reactions = hub.state()["reactions"].values()
    assert sorted((r["comment_id"] or 0, r["content"], r["user"]) for r in reactions) == sorted(
        [(0, "eyes", "specbot[bot]"), (human["id"], "eyes", "specbot[bot]")]
    )


def test_files_branches_and_statuses(gh: PyGithubRepo, hub: RunningHub) -> None:
    """Files at a ref, branch heads and commit statuses."""
    assert gh.default_branch() == "main"
    assert gh.read_file("README.md") == "# widgets\n"
    assert gh.read_file("src") is None
    assert gh.read_file(".github/specbot.yml") is None
    # ".." would be resolved in the URL into another repository's contents
    for escape in ("../../other/contents/README.md", "a/./b", "/README.md", "a%2F..%2Fb"):
        with pytest.raises(ValueError, match="inside the repository"):
            gh.read_file(escape)
    sha = gh.branch_sha("main")
    assert sha is not None and len(sha) == 40
    assert gh.branch_sha("no-such-branch") is None
    gh.set_status(sha, "specbot/spec", "success", "x" * 300, "https://example.com/run")
    assert hub.combined_state(REPO, sha) == "success"


def test_pull_request_review_and_check_run(gh: PyGithubRepo, hub: RunningHub) -> None:
    """Open a PR, read its files, post a review with an inline comment, complete a check run."""
    files = {"src/export.py": "import csv\n\nrows = []\n"}
    hub.push(REPO, "specbot/issue-1-csv", files, as_user="alice", message="Add export")
    assert gh.find_open_pull("specbot/issue-1-csv") is None
    pull = gh.open_pull("specbot/issue-1-csv", "main", "Export CSV (#1)", "Closes #1")
    assert gh.find_open_pull("specbot/issue-1-csv") == pull
    gh.update_pull(pull.number, "Export CSV (#1)", "Closes #1\n\nupdated")
    assert gh.pull(pull.number).body == "Closes #1\n\nupdated"
    # GitHub refuses REQUEST_CHANGES on one's own pull request: review a human's one here.
    hub.push(REPO, "alice/csv", files, as_user="alice", message="Add export")
    target = gh.pull(hub.open_pull(REPO, "alice/csv", title="CSV", as_user="alice")["number"])
    [changed] = gh.pull_files(target.number)
    assert (changed.path, changed.status, changed.additions) == ("src/export.py", "added", 3)
    finding = Finding(
        path="src/export.py",
        line=3,
        severity="major",
        category="correctness",
        message="rows is never filled",
        confidence=0.9,
    )
    merged = MergedFinding(
        finding=finding, reviewers=("correctness",), fingerprint=fingerprint(finding)
    )
    draft = draft_review(
        [merged], {changed.path: changed.patch}, ReviewEvent.REQUEST_CHANGES, "One problem."
    )
    assert gh.post_review(target.number, target.head_sha, draft) > 0
    [comment] = gh.review_comments(target.number)
    assert (comment.path, comment.line, comment.author) == ("src/export.py", 3, "specbot[bot]")
    gh.reply_to_review_comment(target.number, comment.id, "Fixed in abc123.")
    replies = [c for c in gh.review_comments(target.number) if c.in_reply_to_id == comment.id]
    assert [r.body for r in replies] == ["Fixed in abc123."]
    check_id = gh.start_check_run(pull.head_sha, "specbot/review", "https://example.com/run")
    annotations = [
        Annotation(
            path="src/export.py",
            start_line=3,
            end_line=3,
            annotation_level="warning",
            title=f"note {n}",
            message="m",
        )
        for n in range(120)
    ]
    gh.complete_check_run(check_id, "failure", "1 problem", "summary", annotations)
    check = hub.state()["check_runs"][str(check_id)]
    assert (check["status"], check["conclusion"]) == ("completed", "failure")
    assert len(check["output"]["annotations"]) == 120


def test_clone_and_push_with_installation_credentials(
    gh: PyGithubRepo, hub: RunningHub, tmp_path: Path
) -> None:
    """The adapter's clone URL and token let the git workspaces fetch and push over HTTP."""
    spaces = GitWorkspaces(tmp_path / "cache")
    url = gh.clone_url()
    assert "@" not in url and url.endswith("/acme/widgets.git")
    spaces.refresh_mirror(REPO, url, gh.git_credentials())
    checkout = spaces.checkout(REPO, "run-1", "specbot/issue-9-x", "main", url)
    (checkout / "NEW.md").write_text("new\n")
    sha = spaces.commit_all(checkout, "Add NEW.md", GitIdentity(name="specbot", email="s@x.org"))
    assert spaces.push(checkout, "specbot/issue-9-x", gh.git_credentials()) == sha
    assert gh.branch_sha("specbot/issue-9-x") == sha


def test_a_pull_request_from_a_fork(gh: PyGithubRepo, hub: RunningHub, tmp_path: Path) -> None:
    """mallory's fork's pull request reads as one from a fork, even with specbot's branch name:
    it is never specbot's open pull request, its commit's message is read with its trailers,
    and a checkout of ``refs/pull/<n>/head`` holds the fork's files, not acme's branch."""
    hub.add_repo("mallory/widgets", fork_of=REPO)
    branch = "specbot/issue-1-csv"
    own = hub.push(REPO, branch, {"own.txt": "acme\n"}, as_user="alice")
    message = "Add export\n\nSpecbot-Run: spec:forged"
    sha = hub.push(
        "mallory/widgets", branch, {"fork.txt": "x\n"}, as_user="mallory", message=message
    )
    number = hub.open_pull(REPO, f"mallory:{branch}", title="CSV", as_user="mallory")["number"]
    pull = gh.pull(number)
    assert (pull.head_ref, pull.head_sha, pull.from_fork) == (branch, sha, True)
    assert gh.find_open_pull(branch) is None
    assert gh.commit_message(sha) == message
    mine = gh.open_pull(branch, "main", "Export CSV (#1)", "Closes #1")
    assert (mine.head_sha, mine.from_fork) == (own, False)
    assert gh.find_open_pull(branch) == mine

    spaces = GitWorkspaces(tmp_path / "cache")
    spaces.refresh_mirror(REPO, gh.clone_url(), gh.git_credentials())
    checkout = spaces.checkout(REPO, "run-f", f"refs/pull/{number}/head", "main", gh.clone_url())
    assert spaces.head_sha(checkout) == sha
    assert (checkout / "fork.txt").exists() and not (checkout / "own.txt").exists()


def test_a_check_run_with_an_external_id_is_created_once(gh: PyGithubRepo, hub: RunningHub) -> None:
    """Starting a check run again with the same external id (a retry after a 5xx that may have
    created it) returns the first one; another external id gets its own."""
    sha = hub.push(REPO, "topic", {"a.txt": "a\n"}, as_user="alice")
    first = gh.start_check_run(sha, "specbot/review", None, external_id="review:1")
    assert gh.start_check_run(sha, "specbot/review", None, external_id="review:1") == first
    other = gh.start_check_run(sha, "specbot/review", None, external_id="review:2")
    assert other != first
    runs = [c for c in hub.state()["check_runs"].values() if c["head_sha"] == sha]
    assert sorted((c["id"], c["external_id"]) for c in runs) == [
        (first, "review:1"),
        (other, "review:2"),
    ]


def test_transient_errors_are_server_errors_and_lost_connections() -> None:
    """5xx and connection failures are worth another try; 4xx and our own errors are not."""
    import requests
    from github import GithubException

    from bot.adapters.github import is_transient_error

    assert is_transient_error(GithubException(502, {"message": "Bad Gateway"}, {}))
    assert is_transient_error(requests.ConnectionError("refused"))
    assert is_transient_error(requests.exceptions.RetryError("too many 502 error responses"))
    assert not is_transient_error(GithubException(422, {"message": "Validation Failed"}, {}))
    assert not is_transient_error(GithubException(404, {"message": "Not Found"}, {}))
    assert not is_transient_error(ValueError("bad input"))


def test_a_write_waits_for_the_reset_when_no_request_is_left(
    gh: PyGithubRepo, hub: RunningHub
) -> None:
    """After a response saying 0 requests remain, the next write sleeps until the reset."""
    number = hub.open_issue("acme/widgets", "Paced", "body", as_user="alice")["number"]
    gh.issue(number)  # a first response fills the client's rate-limit state
    requester = gh._client.requester
    requester.rate_limiting = (0, 5000)  # as GitHub's X-RateLimit-Remaining: 0 sets it
    requester.rate_limiting_resettime = int(time.time()) + 1
    started = time.monotonic()
    gh.create_comment(number, "after the reset")
    assert time.monotonic() - started >= 1.0
    posts = [r for r in hub.requests() if r["method"] == "POST" and r["path"].endswith("/comments")]
    assert [r["status"] for r in posts] == [201]


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
        ("http://127.0.0.1:8080/api/v3/", "http://127.0.0.1:8080"),
        ("https://api.acme.ghe.com", "https://acme.ghe.com"),
        ("https://user:secret@ghe.example.com/api/v3?x=1", "https://ghe.example.com"),
    ],
)
def test_the_clone_url_follows_from_the_api_url_without_a_request(api: str, web: str) -> None:
    assert web_url(api) == web
