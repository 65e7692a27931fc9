"""PyGithub, unchanged, against localhub: every call specbot makes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import github
import pytest
from github import Auth, Github, GithubIntegration

from bot.localhub import RunningHub
from tests.hub_fixtures import APP_ID, INSTALLATION_ID


def _client(hub: RunningHub, auth: Auth.Auth) -> Github:
    return Github(
        base_url=hub.api_url,
        auth=auth,
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
    )


@pytest.fixture
def alice(hub: RunningHub) -> Iterator[Github]:
    """PyGithub with alice's personal token."""
    client = _client(hub, Auth.Token("ghp_alice"))
    yield client
    client.close()


@pytest.fixture
def bot(hub: RunningHub, app_key_pem: Path) -> Iterator[Github]:
    """PyGithub authenticated as the App's installation (JWT -> token, done by PyGithub)."""
    app_auth = Auth.AppAuth(APP_ID, app_key_pem.read_text())
    client = _client(hub, app_auth.get_installation_auth(INSTALLATION_ID))
    yield client
    client.close()


def test_repository_reads(alice: Github) -> None:
    """Repository, branch, contents, refs, languages and permissions read as on GitHub."""
    assert alice.get_user().login == "alice"
    repo = alice.get_repo("acme/widgets")
    assert (repo.full_name, repo.default_branch, repo.private) == ("acme/widgets", "main", False)
    branch = repo.get_branch("main")
    readme = repo.get_contents("README.md", ref="main")
    assert not isinstance(readme, list)
    assert readme.decoded_content == b"# widgets\n"
    listing = repo.get_contents("src")
    assert isinstance(listing, list)
    assert [c.path for c in listing] == ["src/app.py"]
    assert repo.get_git_ref("heads/main").object.sha == branch.commit.sha
    source = repo.get_contents("src/app.py")
    assert not isinstance(source, list)
    languages = {k: v for k, v in repo.get_languages().items() if k != "url"}
    assert languages == {"Python": len(source.decoded_content)}
    assert repo.get_collaborator_permission("mallory") == "read"
    assert alice.get_rate_limit().resources.core.limit == 5000
    with pytest.raises(github.UnknownObjectException):
        alice.get_repo("acme/secret-nope")


def test_issue_lifecycle(alice: Github, bot: Github) -> None:
    """Create, list, label, comment, react, edit and close an issue."""
    repo = alice.get_repo("acme/widgets")
    issue = repo.create_issue(title="Add --verbose", body="Spec body", labels=["spec"])
    assert [label.name for label in issue.labels] == ["spec"]
    as_bot = bot.get_repo("acme/widgets").get_issue(issue.number)
    comment = as_bot.create_comment("Working on it")
    comment.edit("Done")
    assert [c.body for c in issue.get_comments()] == ["Done"]
    assert comment.user.login == "specbot[bot]"
    as_bot.add_to_labels("in-progress")
    as_bot.remove_from_labels("spec")
    assert [label.name for label in issue.get_labels()] == ["in-progress"]
    as_bot.create_reaction("eyes")
    issue.edit(state="closed")
    assert repo.get_issue(issue.number).state == "closed"
    assert [i.number for i in repo.get_issues(state="closed")] == [issue.number]
    assert list(repo.get_issues(state="open")) == []


def test_pull_request_flow(hub: RunningHub, alice: Github, bot: Github) -> None:
    """Branch, PR, files, commits, review with an inline comment, reply, status, checks, merge."""
    repo = bot.get_repo("acme/widgets")
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/feature", main)
    head = hub.push(
        "acme/widgets", "feature", {"src/app.py": "def f0():\n    return 42\n"}, as_user="alice"
    )
    pr = repo.create_pull(title="Feature", body="Implements #1", head="feature", base="main")
    assert pr.head.sha == head
    assert pr.mergeable is True
    files = list(pr.get_files())
    assert [(f.filename, f.status) for f in files] == [("src/app.py", "modified")]
    assert "+    return 42" in files[0].patch
    assert [c.sha for c in pr.get_commits()] == [head]
    commit = repo.get_commit(head)
    review = (
        alice.get_repo("acme/widgets")
        .get_pull(pr.number)
        .create_review(
            commit=commit,
            body="One question",
            event="REQUEST_CHANGES",
            comments=[{"path": "src/app.py", "line": 2, "body": "Why 42?"}],
        )
    )
    assert review.state == "CHANGES_REQUESTED"
    [inline] = list(pr.get_review_comments())
    assert (inline.path, inline.line, inline.body) == ("src/app.py", 2, "Why 42?")
    reply = pr.create_review_comment_reply(inline.id, "Because.")
    assert reply.in_reply_to_id == inline.id
    direct = pr.create_review_comment("Nit", commit, "src/app.py", line=1, side="RIGHT")
    assert direct.line == 1
    assert [r.state for r in pr.get_reviews()] == ["CHANGES_REQUESTED"]
    commit.create_status("success", description="Spec ready", context="specbot/spec")
    assert commit.get_combined_status().state == "success"
    run = repo.create_check_run(name="specbot/review", head_sha=head, status="in_progress")
    run.edit(conclusion="success", output={"title": "Review", "summary": "No findings"})
    assert repo.get_check_run(run.id).conclusion == "success"
    assert [r.name for r in commit.get_check_runs()] == ["specbot/review"]
    comparison = repo.compare("main", "feature")
    assert (comparison.ahead_by, comparison.status) == (1, "ahead")
    assert [p.number for p in repo.get_pulls(state="open", head="acme:feature")] == [pr.number]
    status = alice.get_repo("acme/widgets").get_pull(pr.number).merge()
    assert status.merged is True
    assert repo.get_pull(pr.number).merged is True


def test_app_endpoints_through_github_integration(hub: RunningHub, app_key_pem: Path) -> None:
    """GithubIntegration finds the installation and mints a token that works."""
    integration = GithubIntegration(
        auth=Auth.AppAuth(APP_ID, app_key_pem.read_text()), base_url=hub.api_url
    )
    try:
        installation = integration.get_repo_installation("acme", "widgets")
        assert installation.id == INSTALLATION_ID
        token = integration.get_access_token(INSTALLATION_ID)
        assert token.token.startswith("ghs_")
        assert token.permissions["contents"] == "write"
        assert integration.get_app().slug == "specbot"
        assert [i.id for i in integration.get_installations()] == [INSTALLATION_ID]
        client = _client(hub, Auth.Token(token.token))
        assert client.get_repo("acme/widgets").name == "widgets"
        client.close()
    finally:
        integration.close()


def test_errors_map_to_pygithubs_exceptions(hub: RunningHub, alice: Github) -> None:
    """401, 404, 422 and a rate limit become PyGithub's own exception types."""
    stranger = _client(hub, Auth.Token("ghp_nobody"))
    with pytest.raises(github.BadCredentialsException):
        stranger.get_repo("acme/widgets")
    stranger.close()
    repo = alice.get_repo("acme/widgets")
    with pytest.raises(github.UnknownObjectException):
        repo.get_issue(999)
    with pytest.raises(github.GithubException) as invalid:
        repo.create_pull(title="x", head="nope", base="main")
    assert invalid.value.status == 422
    hub.add_fault({"pattern": "*", "rate_limit": True, "times": 1})
    with pytest.raises(github.RateLimitExceededException):
        repo.get_issues().totalCount  # noqa: B018 - the property makes the request


def test_branches_commits_labels_and_refs(hub: RunningHub, alice: Github) -> None:
    """Listing branches, commits and labels, editing and deleting refs, closing a PR."""
    repo = alice.get_repo("acme/widgets")
    first = hub.push("acme/widgets", "topic", {"docs/a.md": "a\n"}, as_user="alice")
    second = hub.push("acme/widgets", "topic", {"docs/b.md": "b\n"}, as_user="alice")
    assert sorted(b.name for b in repo.get_branches()) == ["main", "topic"]
    assert [c.sha for c in repo.get_commits(sha="topic")][:2] == [second, first]
    assert [c.sha for c in repo.get_commits(sha="topic", path="docs/a.md")] == [first]
    repo.create_label("spec", "0e8a16", "A specification")
    assert [label.name for label in repo.get_labels()] == ["spec"]
    issue = repo.create_issue("Labelled", labels=["spec"])
    assert [i.number for i in repo.get_issues(labels=[repo.get_label("spec")])] == [issue.number]
    assert alice.get_user("mallory").login == "mallory"
    ref = repo.get_git_ref("heads/topic")
    ref.edit(first, force=True)
    assert repo.get_branch("topic").commit.sha == first
    pr = repo.create_pull(title="Topic", body="", head="topic", base="main")
    pr.edit(state="closed")
    assert repo.get_pull(pr.number).state == "closed"
    ref.delete()
    with pytest.raises(github.GithubException):
        repo.get_branch("topic")
