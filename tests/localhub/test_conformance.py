"""Every REST operation localhub serves answers what GitHub's own schema says it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.localhub import RunningHub
from tests.localhub.clients import app_jwt, installation_token
from tests.localhub.manifests import new_app_code
from tests.localhub.openapi import errors_of, operations, response_schema, subset_operations

R = "/repos/{owner}/{repo}"


@dataclass
class Walk:
    """Calls operations, validates each JSON body against its schema, remembers coverage."""

    hub: RunningHub
    tokens: dict[str, str]
    failures: list[str] = field(default_factory=list)
    covered: set[tuple[str, int]] = field(default_factory=set)

    def call(
        self,
        method: str,
        template: str,
        path: str,
        status: int,
        *,
        as_: str | None = "alice",
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Call ``path`` and check the status code and the body's schema for that code."""
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"token {self.tokens[as_]}"
        response = httpx.request(method, self.hub.api_url + path, json=json, headers=sent)
        op = operations()[(method, template)]["operationId"]
        label = f"{method} {path} ({op}) as {as_}"
        if response.status_code != status:
            self.failures.append(
                f"{label}: status {response.status_code} != {status}: {response.text[:300]}"
            )
            return response
        self.covered.add((op, status))
        schema = response_schema(method, template, status)
        if schema is not None:
            for error in errors_of(schema, response.json())[:5]:
                self.failures.append(f"{label} -> {status}: {error}")
        return response


@pytest.fixture
def walk(hub: RunningHub, app_key_pem: Path) -> Walk:
    """A walk with personal, installation and App tokens."""
    tokens = {
        "alice": "ghp_alice",
        "mallory": "ghp_mallory",
        "trent": "ghp_trent",
        "bot": installation_token(hub.api_url, app_key_pem),
        "jwt": app_jwt(app_key_pem),
        "bad": "ghp_not_a_token",
        "ro": hub.actions_token("acme/widgets", {"metadata": "read", "issues": "read"}),
    }
    return Walk(hub, tokens)


def _walk_repository_reads(w: Walk) -> str:
    w.call("GET", R, "/repos/acme/widgets", 200)
    w.call("GET", R, "/repos/acme/secret", 404, as_="mallory")
    w.call("GET", R, "/repos/acme/nope", 404)
    w.call("GET", R + "/branches/{branch}", "/repos/acme/widgets/branches/main", 200)
    w.call("GET", R + "/branches/{branch}", "/repos/acme/widgets/branches/nope", 404)
    w.call("GET", R + "/branches", "/repos/acme/widgets/branches", 200)
    w.call("GET", R + "/contents/{path}", "/repos/acme/widgets/contents/README.md", 200)
    w.call("GET", R + "/contents/{path}", "/repos/acme/widgets/contents/src", 200)
    w.call("GET", R + "/contents/{path}", "/repos/acme/widgets/contents/nope.txt", 404)
    w.call("GET", R + "/languages", "/repos/acme/widgets/languages", 200)
    ref = w.call("GET", R + "/git/ref/{ref}", "/repos/acme/widgets/git/ref/heads/main", 200)
    w.call("GET", R + "/git/ref/{ref}", "/repos/acme/widgets/git/ref/heads/nope", 404)
    sha: str = ref.json()["object"]["sha"]
    w.call("GET", R + "/commits/{ref}", f"/repos/acme/widgets/commits/{sha}", 200)
    w.call("GET", R + "/commits/{ref}", "/repos/acme/widgets/commits/nope", 422)
    w.call("GET", R + "/compare/{basehead}", "/repos/acme/widgets/compare/main...main", 200)
    w.call("GET", R + "/compare/{basehead}", "/repos/acme/widgets/compare/main...nope", 404)
    perm = R + "/collaborators/{username}/permission"
    w.call("GET", perm, "/repos/acme/widgets/collaborators/alice/permission", 200)
    w.call("GET", perm, "/repos/acme/widgets/collaborators/nobody/permission", 404)
    return sha


def _walk_git_writes(w: Walk, sha: str) -> str:
    refs = R + "/git/refs"
    body = {"ref": "refs/heads/feature", "sha": sha}
    w.call("POST", refs, "/repos/acme/widgets/git/refs", 201, json=body)
    w.call("POST", refs, "/repos/acme/widgets/git/refs", 422, json=body)
    head: str = w.hub.push(
        "acme/widgets", "feature", {"src/app.py": "def f0():\n    return 100\n"}, as_user="alice"
    )
    w.call(
        "PATCH",
        R + "/git/refs/{ref}",
        "/repos/acme/widgets/git/refs/heads/feature",
        422,
        json={"sha": sha},
    )
    return head


def _walk_issues(w: Walk) -> None:
    issues = R + "/issues"
    one = R + "/issues/{issue_number}"
    created = w.call(
        "POST", issues, "/repos/acme/widgets/issues", 201, json={"title": "Spec", "body": None}
    )
    number = created.json()["number"]
    w.call("POST", issues, "/repos/acme/widgets/issues", 422, json={"body": "no title"})
    w.call("POST", issues, "/repos/acme/secret/issues", 404, as_="mallory", json={"title": "x"})
    w.call("GET", issues, "/repos/acme/widgets/issues?state=all", 200)
    w.call("GET", one, f"/repos/acme/widgets/issues/{number}", 200)
    w.call("GET", one, "/repos/acme/widgets/issues/999", 404)
    w.call("PATCH", one, f"/repos/acme/widgets/issues/{number}", 200, json={"body": "Edited"})
    w.call("PATCH", one, f"/repos/acme/widgets/issues/{number}", 422, json={"state": "maybe"})
    w.call(
        "PATCH",
        one,
        f"/repos/acme/widgets/issues/{number}",
        403,
        as_="mallory",
        json={"labels": ["x"]},
    )
    labels = one + "/labels"
    path = f"/repos/acme/widgets/issues/{number}/labels"
    w.call("POST", labels, path, 200, json={"labels": ["spec", "ready"]})
    w.call("POST", labels, path, 422, json={"labels": [{"nope": 1}]})
    w.call("POST", labels, "/repos/acme/widgets/issues/999/labels", 404, json={"labels": ["a"]})
    w.call("GET", labels, path, 200)
    w.call("PUT", labels, path, 200, json={"labels": ["spec"]})
    w.call("DELETE", labels + "/{name}", path + "/spec", 200)
    w.call("DELETE", labels + "/{name}", path + "/spec", 404)
    w.call("DELETE", labels, path, 204)
    w.call("DELETE", labels, "/repos/acme/widgets/issues/999/labels", 404)
    w.call("GET", R + "/labels", "/repos/acme/widgets/labels", 200)
    w.call(
        "POST",
        R + "/labels",
        "/repos/acme/widgets/labels",
        201,
        json={"name": "bug", "color": "f00"},
    )
    w.call("POST", R + "/labels", "/repos/acme/widgets/labels", 422, json={"name": "bug"})
    comments = one + "/comments"
    cpath = f"/repos/acme/widgets/issues/{number}/comments"
    comment = w.call("POST", comments, cpath, 201, as_="bot", json={"body": "Thanks"})
    w.call("POST", comments, cpath, 422, json={})
    w.call("POST", comments, "/repos/acme/widgets/issues/999/comments", 404, json={"body": "x"})
    w.call("GET", comments, cpath, 200)
    w.call("GET", comments, "/repos/acme/widgets/issues/999/comments", 404)
    cid = comment.json()["id"]
    single = R + "/issues/comments/{comment_id}"
    w.call("GET", single, f"/repos/acme/widgets/issues/comments/{cid}", 200)
    w.call("GET", single, "/repos/acme/widgets/issues/comments/1", 404)
    w.call(
        "PATCH",
        single,
        f"/repos/acme/widgets/issues/comments/{cid}",
        200,
        as_="bot",
        json={"body": "Edit"},
    )
    w.call(
        "PATCH",
        single,
        f"/repos/acme/widgets/issues/comments/{cid}",
        422,
        as_="bot",
        json={"body": ""},
    )
    creactions = single + "/reactions"
    crpath = f"/repos/acme/widgets/issues/comments/{cid}/reactions"
    w.call("POST", creactions, crpath, 201, json={"content": "eyes"})
    w.call("POST", creactions, crpath, 200, json={"content": "eyes"})
    w.call("POST", creactions, crpath, 422, json={"content": "shrug"})
    reactions = one + "/reactions"
    rpath = f"/repos/acme/widgets/issues/{number}/reactions"
    w.call("POST", reactions, rpath, 201, json={"content": "eyes"})
    w.call("POST", reactions, rpath, 200, json={"content": "eyes"})
    w.call("POST", reactions, rpath, 422, json={"content": "shrug"})


def _walk_pulls(w: Walk, head: str) -> None:
    pulls = R + "/pulls"
    one = pulls + "/{pull_number}"
    body = {"title": "Feature", "head": "feature", "base": "main", "body": "Implements it"}
    created = w.call("POST", pulls, "/repos/acme/widgets/pulls", 201, as_="bot", json=body)
    number = created.json()["number"]
    w.call("POST", pulls, "/repos/acme/widgets/pulls", 422, as_="bot", json=body)
    w.call("POST", pulls, "/repos/acme/widgets/pulls", 422, json={**body, "head": "nope"})
    w.call("GET", pulls, "/repos/acme/widgets/pulls", 200)
    w.call("GET", pulls, "/repos/acme/widgets/pulls?state=bogus", 422)
    w.call("GET", one, f"/repos/acme/widgets/pulls/{number}", 200)
    w.call("GET", one, "/repos/acme/widgets/pulls/999", 404)
    w.call("GET", one + "/files", f"/repos/acme/widgets/pulls/{number}/files", 200)
    w.call("GET", one + "/commits", f"/repos/acme/widgets/pulls/{number}/commits", 200)
    comments = one + "/comments"
    cpath = f"/repos/acme/widgets/pulls/{number}/comments"
    inline = {
        "body": "Why 100?",
        "commit_id": head,
        "path": "src/app.py",
        "line": 2,
        "side": "RIGHT",
    }
    created_comment = w.call("POST", comments, cpath, 201, json=inline)
    w.call("POST", comments, cpath, 422, json={**inline, "line": 500})
    w.call("POST", comments, cpath, 403, as_="jwt", json=inline)
    w.call("GET", comments, cpath, 200)
    replies = comments + "/{comment_id}/replies"
    cid = created_comment.json()["id"]
    w.call("POST", replies, f"{cpath}/{cid}/replies", 201, as_="bot", json={"body": "Fixed"})
    w.call("POST", replies, f"{cpath}/1/replies", 404, json={"body": "x"})
    reviews = one + "/reviews"
    rpath = f"/repos/acme/widgets/pulls/{number}/reviews"
    review = {
        "event": "COMMENT",
        "body": "Looks fine",
        "comments": [{"path": "src/app.py", "line": 2, "body": "nit"}],
    }
    w.call("POST", reviews, rpath, 200, json=review)
    w.call("POST", reviews, rpath, 422, json={"event": "REQUEST_CHANGES"})
    w.call("POST", reviews, rpath, 403, as_="jwt", json={"event": "APPROVE"})
    w.call("GET", reviews, rpath, 200)
    w.call(
        "PATCH",
        one,
        f"/repos/acme/widgets/pulls/{number}",
        200,
        as_="bot",
        json={"title": "Feature!"},
    )
    merge = one + "/merge"
    w.call("PUT", merge, f"/repos/acme/widgets/pulls/{number}/merge", 200, json={})
    w.call("PUT", merge, f"/repos/acme/widgets/pulls/{number}/merge", 405, json={})


def _walk_checks(w: Walk, sha: str) -> None:
    statuses = R + "/statuses/{sha}"
    body = {"state": "success", "context": "specbot/spec", "description": "ok"}
    w.call("POST", statuses, f"/repos/acme/widgets/statuses/{sha}", 201, as_="bot", json=body)
    w.call("GET", R + "/commits/{ref}/status", f"/repos/acme/widgets/commits/{sha}/status", 200)
    w.call("GET", R + "/commits/{ref}/status", "/repos/acme/widgets/commits/nope/status", 404)
    runs = R + "/check-runs"
    created = w.call(
        "POST",
        runs,
        "/repos/acme/widgets/check-runs",
        201,
        as_="bot",
        json={"name": "specbot/review", "head_sha": sha, "status": "in_progress"},
    )
    rid = created.json()["id"]
    one = runs + "/{check_run_id}"
    w.call(
        "PATCH",
        one,
        f"/repos/acme/widgets/check-runs/{rid}",
        200,
        as_="bot",
        json={"conclusion": "success", "output": {"title": "Review", "summary": "All good"}},
    )
    w.call("GET", one, f"/repos/acme/widgets/check-runs/{rid}", 200, as_="bot")
    w.call(
        "GET", R + "/commits/{ref}/check-runs", f"/repos/acme/widgets/commits/{sha}/check-runs", 200
    )


def _walk_apps_and_users(w: Walk) -> None:
    w.call("GET", "/app", "/app", 200, as_="jwt")
    w.call("GET", "/app/installations", "/app/installations", 200, as_="jwt")
    tokens = "/app/installations/{installation_id}/access_tokens"
    w.call("POST", tokens, "/app/installations/100/access_tokens", 201, as_="jwt")
    w.call("POST", tokens, "/app/installations/999/access_tokens", 404, as_="jwt")
    w.call("POST", tokens, "/app/installations/100/access_tokens", 401, as_="bad")
    w.call(
        "POST",
        tokens,
        "/app/installations/100/access_tokens",
        422,
        as_="jwt",
        json={"permissions": {"administration": "write"}},
    )
    w.call("GET", R + "/installation", "/repos/acme/widgets/installation", 200, as_="jwt")
    w.call("GET", R + "/installation", "/repos/acme/secret/installation", 404, as_="jwt")
    w.call("GET", "/installation/repositories", "/installation/repositories", 200, as_="bot")
    w.call("GET", "/user", "/user", 200)
    w.call("GET", "/user", "/user", 401, as_=None)
    w.call("GET", "/users/{username}", "/users/alice", 200)
    w.call("GET", "/users/{username}", "/users/nobody", 404)
    w.call("GET", "/rate_limit", "/rate_limit", 200)
    code = new_app_code(w.hub, "conformance")
    conversions = "/app-manifests/{code}/conversions"
    w.call("POST", conversions, f"/app-manifests/{code}/conversions", 201, as_=None)
    w.call("POST", conversions, f"/app-manifests/{code}/conversions", 404, as_=None)


def _walk_error_paths(w: Walk, head: str) -> None:
    """The remaining documented error codes: missing repositories, issues, bad values, scopes."""
    for template, path in (
        (R + "/branches", "/repos/acme/nope/branches"),
        (R + "/commits/{ref}", "/repos/acme/nope/commits/main"),
        (R + "/issues", "/repos/acme/nope/issues"),
        (R + "/labels", "/repos/acme/nope/labels"),
        (R + "/issues/{issue_number}/labels", "/repos/acme/widgets/issues/999/labels"),
    ):
        w.call("GET", template, path, 404)
    w.call("GET", R + "/issues", "/repos/acme/widgets/issues?state=bogus", 422)
    w.call("POST", R + "/labels", "/repos/acme/nope/labels", 404, json={"name": "bug"})
    w.call("POST", R + "/issues", "/repos/acme/widgets/issues", 403, as_="ro", json={"title": "x"})
    one = R + "/issues/{issue_number}"
    w.call("PATCH", one, "/repos/acme/widgets/issues/999", 404, json={"body": "x"})
    labels = one + "/labels"
    w.call("PUT", labels, "/repos/acme/widgets/issues/999/labels", 404, json={"labels": ["a"]})
    w.call("PUT", labels, "/repos/acme/widgets/issues/1/labels", 422, json={"labels": [{}]})
    pull = w.hub.open_pull("acme/widgets", "later", title="Later", as_user="alice")
    pr_path = f"/repos/acme/widgets/pulls/{pull['number']}"
    w.call("PATCH", R + "/pulls/{pull_number}", pr_path, 422, json={"state": "bogus"})
    w.call("PATCH", R + "/pulls/{pull_number}", pr_path, 403, as_="ro", json={"title": "x"})
    refs = R + "/git/refs/{ref}"
    w.call("PATCH", refs, "/repos/acme/widgets/git/refs/heads/later", 200, json={"sha": head})
    w.call("GET", "/installation/repositories", "/installation/repositories", 403)
    w.call("GET", R + "/labels/{name}", "/repos/acme/widgets/labels/bug", 200)
    w.call("GET", R + "/labels/{name}", "/repos/acme/widgets/labels/nope", 404)
    commits = R + "/commits"
    w.call("GET", commits, "/repos/acme/widgets/commits?sha=later&per_page=1", 200)
    w.call("GET", commits, "/repos/acme/widgets/commits?path=README.md", 200)
    w.call("GET", commits, "/repos/acme/widgets/commits?sha=nope", 404)
    w.call("DELETE", refs, "/repos/acme/widgets/git/refs/heads/later", 204)
    w.call("DELETE", refs, "/repos/acme/widgets/git/refs/heads/later", 422)
    installation = "/app/installations/{installation_id}"
    w.call("GET", installation, "/app/installations/100", 200, as_="jwt")
    w.call("GET", installation, "/app/installations/999", 404, as_="jwt")
    _walk_empty_repository(w, head)


def _walk_empty_repository(w: Walk, sha: str) -> None:
    """A repository without commits answers 409 "Git Repository is empty." on git routes."""
    w.hub.add_repo("acme/empty", collaborators={"alice": "admin"})
    base = "/repos/acme/empty"
    w.call("GET", R + "/git/ref/{ref}", base + "/git/ref/heads/main", 409)
    w.call("GET", R + "/commits", base + "/commits", 409)
    w.call("GET", R + "/commits/{ref}", base + "/commits/main", 409)
    body = {"ref": "refs/heads/x", "sha": sha}
    w.call("POST", R + "/git/refs", base + "/git/refs", 409, json=body)
    w.call("PATCH", R + "/git/refs/{ref}", base + "/git/refs/heads/x", 409, json={"sha": sha})
    w.call("DELETE", R + "/git/refs/{ref}", base + "/git/refs/heads/x", 409)


def test_every_operation_answers_with_its_schema(walk: Walk) -> None:
    """Success and error responses of every operation validate against GitHub's schema."""
    sha = _walk_repository_reads(walk)
    head = _walk_git_writes(walk, sha)
    _walk_issues(walk)
    _walk_pulls(walk, head)
    _walk_checks(walk, head)
    _walk_apps_and_users(walk)
    walk.hub.push("acme/widgets", "later", {"later.txt": "1\n"}, as_user="alice")
    _walk_error_paths(
        walk, walk.hub.push("acme/widgets", "later", {"l.txt": "2\n"}, as_user="alice")
    )
    assert walk.failures == [], "\n".join(walk.failures)
    walked = {op for op, _status in walk.covered}
    every = {op["operationId"] for op in operations().values()}
    assert every - walked == set()
    assert subset_operations() <= walked
    untested = {
        f"{op['operationId']} {code}"
        for op in operations().values()
        for code in op["responses"]
        if (op["operationId"], int(code)) not in walk.covered
        and int(code) not in NEVER_PRODUCED
        and f"{op['operationId']} {code}" not in NOT_PRODUCED
    }
    assert sorted(untested) == [], "\n".join(sorted(untested))


# Documented codes localhub never answers, and why (each one is checked to be documented).
NEVER_PRODUCED = {
    301: "repositories are never renamed or moved",
    302: "contents are never redirected to a raw host",
    304: "conditional requests are covered by test_rest_behaviour (empty body, no schema)",
    410: "issues are never disabled on a repository",
    406: "every media type localhub knows is served",
    500: "only produced by fault injection, see test_injected_errors_have_githubs_shape",
    503: "only produced by fault injection, see test_injected_errors_have_githubs_shape",
}
NOT_PRODUCED = {
    "repos/list-commits 400": "GitHub's 400 is for a malformed since/until, which are ignored",
    "repos/get 403": "no repository is blocked for legal or abuse reasons",
    "repos/get-content 403": "no content is blocked",
    "issues/create 400": "GitHub sends it when issues are disabled; they never are",
    "users/get-authenticated 403": "a personal token may always read its user",
    "pulls/merge 409": "a head moved since the caller read it; needs a racing push",
    "pulls/merge 403": "a writer may always merge (no branch protection)",
    "pulls/merge 404": "the 404 of every pull route is walked on pulls/get",
    "pulls/merge 422": "unknown merge methods are answered 405 as for unmergeable",
    "pulls/create 403": "opening a PR needs only read, which every signed-in user has",
    "pulls/list-files 422": "a diff beyond GitHub's 3,000-file limit is cut, not refused",
    "apps/create-installation-access-token 403": "installations are never suspended",
    "issues/create-comment 403": "only for locked issues, which nothing locks",
    "rate-limit/get 404": "GitHub Enterprise sends it when rate limiting is off; it is on",
    "apps/list-repos-accessible-to-installation 401": "the 401 of every route is walked elsewhere",
    "apps/create-from-manifest 422": "the manifest is checked when its form is posted (a 422 "
    "page there), so every code handed out converts",
}


def test_injected_errors_have_githubs_shape(walk: Walk) -> None:
    """Every documented 500 and 503, produced by fault injection, matches its schema."""
    walk.hub.push("acme/widgets", "feature", {"f.txt": "f\n"}, as_user="alice")
    number = walk.hub.open_pull("acme/widgets", "feature", title="x", as_user="alice")["number"]
    cases = [
        ("GET", R + "/pulls/{pull_number}", f"/repos/acme/widgets/pulls/{number}", None),
        (
            "GET",
            R + "/pulls/{pull_number}/files",
            f"/repos/acme/widgets/pulls/{number}/files",
            None,
        ),
        ("GET", R + "/commits/{ref}", "/repos/acme/widgets/commits/main", None),
        ("GET", R + "/compare/{basehead}", "/repos/acme/widgets/compare/main...feature", None),
        ("POST", R + "/issues", "/repos/acme/widgets/issues", {"title": "x"}),
        ("PATCH", R + "/issues/{issue_number}", f"/repos/acme/widgets/issues/{number}", {}),
    ]
    checked = 0
    for method, template, path, body in cases:
        for status in (500, 503):
            if str(status) not in operations()[(method, template)]["responses"]:
                continue
            walk.hub.add_fault(
                {
                    "pattern": f"{method} /api/v3{path}",
                    "error_rate": 1,
                    "status": status,
                    "times": 1,
                }
            )
            walk.call(method, template, path, status, json=body)
            checked += 1
    assert walk.failures == [], "\n".join(walk.failures)
    assert checked == 10
