"""A workflow's ``GITHUB_TOKEN``: its ``permissions:`` decide every endpoint an Action uses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.localhub import RunningHub, start_localhub
from bot.localhub._workflow_permissions import SCOPES
from tests.hub_fixtures import git

SECRET = "acme/secret"  # private: nothing in it is readable without the scope
PUBLIC = "acme/widgets"
NOT_ACCESSIBLE = "Resource not accessible by integration"
Scene = dict[str, Any]

# (path under /repos/acme/secret, the workflow scope a read needs)
READS = [
    ("/issues", "issues"),
    ("/issues/{issue}", "issues"),
    ("/issues/{issue}/comments", "issues"),
    ("/issues/comments/{comment}", "issues"),
    ("/issues/{issue}/labels", "issues"),
    ("/labels", "issues"),
    ("/labels/bug", "issues"),
    ("/pulls", "pull-requests"),
    ("/pulls/{pull}", "pull-requests"),
    ("/pulls/{pull}/files", "pull-requests"),
    ("/pulls/{pull}/commits", "pull-requests"),
    ("/pulls/{pull}/reviews", "pull-requests"),
    ("/pulls/{pull}/comments", "pull-requests"),
    ("/pulls/comments/{review_comment}", "pull-requests"),
    ("/branches", "contents"),
    ("/branches/main", "contents"),
    ("/contents/README.md", "contents"),
    ("/git/ref/heads/main", "contents"),
    ("/commits", "contents"),
    ("/commits/{sha}", "contents"),
    ("/compare/main...topic", "contents"),
    ("/commits/{sha}/status", "statuses"),
    ("/commits/{sha}/check-runs", "checks"),
    ("/check-runs/{check_run}", "checks"),
]
METADATA_READS = ["", "/languages", "/collaborators/alice/permission"]

# (method, path, body, the workflow scopes it needs at write, the status when granted)
WRITES: list[tuple[str, str, dict[str, Any] | None, tuple[str, ...], int]] = [
    ("POST", "/issues", {"title": "From a workflow"}, ("issues",), 201),
    ("PATCH", "/issues/{issue}", {"title": "Renamed"}, ("issues",), 200),
    ("POST", "/issues/{issue}/comments", {"body": "Noted"}, ("issues",), 201),
    ("PATCH", "/issues/comments/{comment}", {"body": "Edited"}, ("issues",), 200),
    ("POST", "/issues/{issue}/labels", {"labels": ["spec"]}, ("issues",), 200),
    ("PUT", "/issues/{issue}/labels", {"labels": ["spec"]}, ("issues",), 200),
    ("DELETE", "/issues/{issue}/labels/bug", None, ("issues",), 200),
    ("DELETE", "/issues/{issue}/labels", None, ("issues",), 204),
    ("POST", "/labels", {"name": "triaged"}, ("issues",), 201),
    ("POST", "/issues/{issue}/reactions", {"content": "+1"}, ("issues",), 201),
    ("POST", "/issues/comments/{comment}/reactions", {"content": "+1"}, ("issues",), 201),
    (
        "POST",
        "/pulls",
        {"title": "Spare", "head": "spare", "base": "main"},
        ("pull-requests",),
        201,
    ),
    ("PATCH", "/pulls/{pull}", {"title": "Renamed"}, ("pull-requests",), 200),
    (
        "POST",
        "/pulls/{pull}/reviews",
        {"event": "COMMENT", "body": "Looks fine"},
        ("pull-requests",),
        200,
    ),
    (
        "POST",
        "/pulls/{pull}/comments",
        {"body": "Why?", "path": "README.md", "line": 2},
        ("pull-requests",),
        201,
    ),
    (
        "POST",
        "/pulls/{pull}/comments/{review_comment}/replies",
        {"body": "Because"},
        ("pull-requests",),
        201,
    ),
    ("PUT", "/pulls/{pull}/merge", {}, ("pull-requests", "contents"), 200),
    ("POST", "/git/refs", {"ref": "refs/heads/new", "sha": "{sha}"}, ("contents",), 201),
    ("PATCH", "/git/refs/heads/spare", {"sha": "{sha}", "force": True}, ("contents",), 200),
    ("DELETE", "/git/refs/heads/spare", None, ("contents",), 204),
    ("POST", "/statuses/{sha}", {"state": "success", "context": "ci"}, ("statuses",), 201),
    ("POST", "/check-runs", {"name": "lint", "head_sha": "{sha}"}, ("checks",), 201),
    ("PATCH", "/check-runs/{check_run}", {"conclusion": "success"}, ("checks",), 200),
]


def _ids(cases: list[Any]) -> list[str]:
    return [" ".join(str(part) for part in case[:2]) for case in cases]


def _call(hub: RunningHub, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"token {token}"}
    return httpx.request(method, hub.api_url + path, headers=headers, json=body)


def _fill(body: dict[str, Any] | None, scene: Scene) -> dict[str, Any] | None:
    if body is None:
        return None
    return {k: v.format(**scene) if isinstance(v, str) else v for k, v in body.items()}


def _all_but(scope: str, level: str) -> dict[str, str]:
    """Every scope at write (or the most it allows) except ``scope`` at ``level``."""
    granted = {s: "write" if "write" in levels else "read" for s, levels in SCOPES.items()}
    return {**granted, scope: level}


def _denied(response: httpx.Response) -> bool:
    return response.status_code == 403 and response.json()["message"] == NOT_ACCESSIBLE


def _scene(hub: RunningHub) -> Scene:
    """On acme/secret: a labelled issue with a comment, a pull request with a review comment,
    a spare branch, and a check run on main."""
    issue = hub.open_issue(SECRET, "Spec", "Body", as_user="alice", labels=["bug"])
    comment = hub.comment(SECRET, issue["number"], "First", as_user="alice")
    hub.push(SECRET, "topic", {"README.md": "# widgets\nmore\n"}, as_user="alice")
    hub.push(SECRET, "spare", {"spare.txt": "spare\n"}, as_user="alice")
    pull = hub.open_pull(SECRET, "topic", title="Topic", as_user="alice")
    inline = [{"path": "README.md", "line": 2, "body": "Why?"}]
    hub.review(SECRET, pull["number"], as_user="alice", comments=inline)
    alice = f"{hub.api_url}/repos/{SECRET}"
    auth = {"Authorization": "token ghp_alice"}
    review_comment = httpx.get(f"{alice}/pulls/{pull['number']}/comments", headers=auth).json()
    sha = httpx.get(f"{alice}/branches/main", headers=auth).json()["commit"]["sha"]
    writer = hub.actions_token(SECRET, workflow_permissions={"checks": "write"})
    run = _call(hub, "POST", f"/repos/{SECRET}/check-runs", writer, {"name": "ci", "head_sha": sha})
    assert run.status_code == 201, run.text
    return {
        "issue": issue["number"],
        "comment": comment["id"],
        "pull": pull["number"],
        "review_comment": review_comment[0]["id"],
        "sha": sha,
        "check_run": run.json()["id"],
    }


@pytest.fixture(scope="module")
def scene_hub(
    _seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningHub, Scene]]:
    """One hub with the scene for the tests that only read (or are refused)."""
    data = tmp_path_factory.mktemp("actions-token") / "hub-data"
    shutil.copytree(_seeded_template, data)
    running = start_localhub(data_dir=data)
    try:
        yield running, _scene(running)
    finally:
        running.stop()


@pytest.mark.parametrize(("path", "scope"), READS, ids=_ids(READS))
def test_each_read_of_a_private_repository_needs_its_scope(
    scene_hub: tuple[RunningHub, Scene], path: str, scope: str
) -> None:
    """``{scope: read}`` reads; every other scope at write without it is refused."""
    hub, scene = scene_hub
    url = f"/repos/{SECRET}" + path.format(**scene)
    granted = hub.actions_token(SECRET, workflow_permissions={scope: "read"})
    response = _call(hub, "GET", url, granted)
    assert response.status_code == 200, response.text
    denied = hub.actions_token(SECRET, workflow_permissions=_all_but(scope, "none"))
    assert _denied(_call(hub, "GET", url, denied))


@pytest.mark.parametrize(("method", "path", "body", "needs", "status"), WRITES, ids=_ids(WRITES))
def test_each_write_needs_its_scope_at_write(
    hub: RunningHub,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    needs: tuple[str, ...],
    status: int,
) -> None:
    """Any needed scope at read only is refused; the needed scopes at write succeed."""
    scene = _scene(hub)
    url = f"/repos/{SECRET}" + path.format(**scene)
    for scope in needs:
        reader = hub.actions_token(SECRET, workflow_permissions=_all_but(scope, "read"))
        assert _denied(_call(hub, method, url, reader, _fill(body, scene))), scope
    writer = hub.actions_token(SECRET, workflow_permissions=dict.fromkeys(needs, "write"))
    response = _call(hub, method, url, writer, _fill(body, scene))
    assert response.status_code == status, response.text


def test_read_all_reads_everything_and_writes_nothing(
    scene_hub: tuple[RunningHub, Scene],
) -> None:
    """A ``read-all`` token reads every endpoint of a private repository and writes none."""
    hub, scene = scene_hub
    token = hub.actions_token(SECRET, workflow_permissions="read-all")
    base = f"/repos/{SECRET}"
    for path in [p for p, _ in READS] + METADATA_READS:
        response = _call(hub, "GET", base + path.format(**scene), token)
        assert response.status_code == 200, (path, response.text)
    for method, path, body, _, _ in WRITES:
        response = _call(hub, method, base + path.format(**scene), token, _fill(body, scene))
        assert _denied(response), (method, path, response.text)


def test_no_permissions_read_metadata_only_and_public_data(
    scene_hub: tuple[RunningHub, Scene],
) -> None:
    """``permissions: {}``: a private repository's metadata only; public data is readable."""
    hub, scene = scene_hub
    token = hub.actions_token(SECRET, workflow_permissions={})
    for path in METADATA_READS:
        assert _call(hub, "GET", f"/repos/{SECRET}{path}", token).status_code == 200, path
    for path, _ in READS:
        assert _denied(_call(hub, "GET", f"/repos/{SECRET}" + path.format(**scene), token)), path
    public = hub.actions_token(PUBLIC, workflow_permissions={})
    assert _call(hub, "GET", f"/repos/{PUBLIC}/issues", public).status_code == 200
    assert _call(hub, "GET", f"/repos/{PUBLIC}/contents/README.md", public).status_code == 200
    assert _denied(_call(hub, "POST", f"/repos/{PUBLIC}/issues", public, {"title": "x"}))


def test_other_repositories_public_ones_read_only(scene_hub: tuple[RunningHub, Scene]) -> None:
    """A token reads another public repository but writes nothing there; private is 404."""
    hub, _ = scene_hub
    token = hub.actions_token(SECRET, workflow_permissions="write-all")
    assert _call(hub, "GET", f"/repos/{PUBLIC}/issues", token).status_code == 200
    assert _denied(_call(hub, "POST", f"/repos/{PUBLIC}/issues", token, {"title": "x"}))
    other = hub.actions_token(PUBLIC, workflow_permissions="write-all")
    assert _call(hub, "GET", f"/repos/{SECRET}", other).status_code == 404


@pytest.mark.parametrize("scope", ["pull-requests", "issues"])
def test_a_pull_requests_conversation_takes_either_permission(
    scene_hub: tuple[RunningHub, Scene], scope: str
) -> None:
    """Commenting on a pull request needs ``pull-requests`` or ``issues`` at write."""
    hub, scene = scene_hub
    url = f"/repos/{SECRET}/issues/{scene['pull']}/comments"
    writer = hub.actions_token(SECRET, workflow_permissions={scope: "write"})
    assert _call(hub, "POST", url, writer, {"body": "From a workflow"}).status_code == 201
    reader = hub.actions_token(SECRET, workflow_permissions={scope: "read", "contents": "write"})
    assert _denied(_call(hub, "POST", url, reader, {"body": "x"}))


def test_an_issues_token_comments_but_cannot_check_open_pulls_or_push(
    hub: RunningHub, tmp_path: Path
) -> None:
    """``permissions: {issues: write}`` comments as github-actions[bot]; a check run, a pull
    request and a ``git push`` are refused."""
    token = hub.actions_token(PUBLIC, workflow_permissions={"issues": "write"})
    issue = hub.open_issue(PUBLIC, "Spec", as_user="alice")
    comment = _call(
        hub, "POST", f"/repos/{PUBLIC}/issues/{issue['number']}/comments", token, {"body": "Hi"}
    )
    assert comment.status_code == 201
    assert comment.json()["user"]["login"] == "github-actions[bot]"
    sha = hub.push(PUBLIC, "topic", {"a.txt": "1\n"}, as_user="alice")
    run = {"name": "ci", "head_sha": sha}
    assert _denied(_call(hub, "POST", f"/repos/{PUBLIC}/check-runs", token, run))
    pull = {"title": "Topic", "head": "topic", "base": "main"}
    assert _denied(_call(hub, "POST", f"/repos/{PUBLIC}/pulls", token, pull))
    pushed = _push(hub, token, tmp_path)
    assert pushed.returncode != 0
    assert f"Permission to {PUBLIC}.git denied to github-actions[bot]." in pushed.stderr
    assert "403" in pushed.stderr


@pytest.mark.parametrize(
    ("permissions", "pushes"),
    [({"contents": "write"}, True), ({"contents": "read"}, False), ("read-all", False)],
    ids=["contents-write", "contents-read", "read-all"],
)
def test_git_push_needs_contents_write(
    hub: RunningHub, tmp_path: Path, permissions: Any, pushes: bool
) -> None:
    """Over smart HTTP a token clones what it may read and pushes only with contents write."""
    token = hub.actions_token(SECRET, workflow_permissions=permissions)
    pushed = _push(hub, token, tmp_path, SECRET)
    assert (pushed.returncode == 0) is pushes, pushed.stderr


def _push(hub: RunningHub, token: str, tmp_path: Path, repo: str = PUBLIC) -> Any:
    """Clone ``repo`` with ``token``, commit, and push a branch (the push's result)."""
    work = tmp_path / "work"
    git("clone", "-q", hub.git_url(repo, token), str(work), cwd=tmp_path)
    (work / "b.txt").write_text("b\n")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "From a workflow", cwd=work)
    return git("push", "-q", "origin", "HEAD:refs/heads/from-workflow", cwd=work, check=False)


def test_the_admin_api_takes_workflow_permissions(hub: RunningHub) -> None:
    """``POST /_localhub/tokens/actions`` with ``workflow_permissions``; 422 names a bad key."""
    url = hub.admin_url + "/tokens/actions"
    created = httpx.post(url, json={"repo": PUBLIC, "workflow_permissions": {"checks": "write"}})
    assert created.status_code == 201
    token = created.json()["token"]
    assert hub.hub.state.tokens[token].permissions == {"checks": "write", "metadata": "read"}
    everything = httpx.post(url, json={"repo": PUBLIC, "workflow_permissions": "read-all"})
    assert hub.hub.state.tokens[everything.json()["token"]].permissions["issues"] == "read"
    for bad, named in [({"issues": "admin"}, "permissions.issues"), ("all", "'all'")]:
        refused = httpx.post(url, json={"repo": PUBLIC, "workflow_permissions": bad})
        assert refused.status_code == 422
        assert named in refused.json()["message"]
    both = {"repo": PUBLIC, "permissions": {"issues": "write"}, "workflow_permissions": "read-all"}
    assert httpx.post(url, json=both).status_code == 400


def test_without_a_permissions_block_the_token_is_permissive(hub: RunningHub) -> None:
    """No ``permissions:``: GitHub's permissive default; the token's own form still works."""
    default = hub.hub.state.tokens[hub.actions_token(PUBLIC)].permissions
    assert default["contents"] == default["actions"] == default["security_events"] == "write"
    assert "id_token" not in default
    own = hub.actions_token(PUBLIC, {"issues": "read", "metadata": "read"})
    assert hub.hub.state.tokens[own].permissions == {"issues": "read", "metadata": "read"}
    with pytest.raises(ValueError, match="not both"):
        hub.actions_token(PUBLIC, {"issues": "read"}, workflow_permissions="read-all")
