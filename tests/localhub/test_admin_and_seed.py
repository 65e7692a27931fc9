"""The seed file and the admin API under /_localhub/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.localhub import RunningHub, SeedError, load_seed, start_localhub
from tests.hub_fixtures import Receiver, git


def test_a_directory_source_becomes_one_first_commit(hub: RunningHub) -> None:
    """Files of a ``source`` directory are the repository's first and only commit."""
    commits = httpx.get(hub.api_url + "/repos/acme/widgets/commits/main").json()
    assert commits["parents"] == []
    assert commits["commit"]["message"] == "Initial commit"
    assert {f["filename"] for f in commits["files"]} == {"README.md", "src/app.py"}


def test_a_git_source_keeps_its_history(tmp_path: Path) -> None:
    """A ``source`` that is a git repository keeps every commit."""
    source = tmp_path / "history"
    source.mkdir()
    git("init", "-q", "-b", "trunk", cwd=source)
    for index in range(3):
        (source / "n.txt").write_text(f"{index}\n")
        git("add", "-A", cwd=source)
        git("commit", "-q", "-m", f"commit {index}", cwd=source)
    seed = tmp_path / "seed.yml"
    seed.write_text(
        "users: [{login: ann, token: t}]\n"
        "repos: [{full_name: ann/history, source: ./history, default_branch: trunk}]\n"
    )
    hub = start_localhub(seed)
    try:
        compare = httpx.get(
            hub.api_url + "/repos/ann/history/commits/trunk", headers={"Authorization": "token t"}
        ).json()
        assert compare["commit"]["message"] == "commit 2"
        repo = httpx.get(hub.api_url + "/repos/ann/history").json()
        assert repo["default_branch"] == "trunk"
        first = git("rev-list", "--count", "trunk", cwd=source).stdout.strip()
        assert first == "3"
        clone = tmp_path / "clone"
        git("clone", "-q", hub.git_url("ann/history"), str(clone))
        assert git("rev-list", "--count", "HEAD", cwd=clone).stdout.strip() == "3"
    finally:
        hub.stop()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("users: [{login: a, tokn: x}]\n", "users.0.tokn"),
        ("repos: [{full_name: not-a-name}]\n", "repos.0.full_name"),
        ("repos: [{full_name: a/b, collaborators: {x: god}}]\n", "repos.0.collaborators.x"),
        ("users: [\n", "not valid YAML"),
    ],
)
def test_bad_seeds_say_where_and_why(tmp_path: Path, text: str, fragment: str) -> None:
    """A seed with a typo, a bad name, an unknown role or broken YAML names the problem."""
    seed = tmp_path / "seed.yml"
    seed.write_text(text)
    with pytest.raises(SeedError, match=fragment.replace(".", r"\.")):
        load_seed(seed)


def test_missing_app_key_is_a_clear_error(tmp_path: Path) -> None:
    """An App whose key file is missing fails to load with the path in the message."""
    seed = tmp_path / "seed.yml"
    seed.write_text("apps: [{id: 1, slug: x, private_key_path: ./missing.pem}]\n")
    with pytest.raises(SeedError, match="missing.pem"):
        start_localhub(seed)


def test_admin_api_acts_as_users_and_fires_webhooks(hub: RunningHub, receiver: Receiver) -> None:
    """Admin calls open, label and comment as a given user; each fires its webhook."""
    admin = httpx.Client(base_url=hub.admin_url)
    with admin:
        issue = admin.post(
            "/repos/acme/widgets/issues", json={"title": "Via admin", "as_user": "mallory"}
        )
        assert issue.status_code == 201
        number = issue.json()["number"]
        assert issue.json()["user"]["login"] == "mallory"
        assert (
            admin.post(
                f"/repos/acme/widgets/issues/{number}/labels",
                json={"labels": ["spec"], "as_user": "alice"},
            ).status_code
            == 200
        )
        assert (
            admin.post(
                f"/repos/acme/widgets/issues/{number}/comments",
                json={"body": "hi", "as_user": "alice"},
            ).status_code
            == 201
        )
        pushed = admin.post(
            "/repos/acme/widgets/push",
            json={"branch": "admin", "files": {"a.txt": "a\n"}, "as_user": "alice"},
        )
        assert pushed.status_code == 201
        pr = admin.post(
            "/repos/acme/widgets/pulls", json={"head": "admin", "title": "PR", "as_user": "alice"}
        )
        review = admin.post(
            f"/repos/acme/widgets/pulls/{pr.json()['number']}/reviews",
            json={
                "event": "COMMENT",
                "body": "ok",
                "as_user": "mallory",
                "comments": [{"path": "a.txt", "line": 1, "body": "here"}],
            },
        )
        assert review.status_code == 200
        assert admin.post("/repos/acme/widgets/issues", json={"title": "x"}).status_code == 400
        assert hub.wait_for_deliveries()
        events = [(d["event"], d["action"]) for d in admin.get("/deliveries").json()]
        state = admin.get("/state").json()
    assert ("issues", "opened") in events and ("issues", "labeled") in events
    assert ("issue_comment", "created") in events and ("push", None) in events
    assert ("pull_request_review", "submitted") in events
    assert ("pull_request_review_comment", "created") in events
    assert state["issues"]["acme/widgets#1"]["labels"] == ["spec"]
    assert len(receiver.requests) == len(events)


def test_admin_api_manages_faults_and_redelivery(hub: RunningHub, receiver: Receiver) -> None:
    """Faults are added, listed and cleared at run time; deliveries are redelivered."""
    with httpx.Client(base_url=hub.admin_url) as admin:
        rule = admin.post(
            "/faults", json={"pattern": "GET /api/v3/user", "error_rate": 1, "status": 503}
        )
        assert rule.status_code == 201
        assert [r["pattern"] for r in admin.get("/faults").json()] == ["GET /api/v3/user"]
        user = httpx.get(hub.api_url + "/user", headers={"Authorization": "token ghp_alice"})
        assert user.status_code == 503
        assert admin.delete("/faults").status_code == 200
        assert admin.post("/faults", json={"error_rate": 1, "status": 418}).status_code == 400
        hub.open_issue("acme/widgets", "hello", as_user="alice")
        assert hub.wait_for_deliveries()
        delivery = admin.get("/deliveries", params={"event": "issues"}).json()[0]
        again = admin.post(f"/deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 202
        assert again.json()["redelivery"] is True
        assert hub.wait_for_deliveries()
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body


def test_admin_seed_adds_users_and_repositories(hub: RunningHub, tmp_path: Path) -> None:
    """Posting a seed fragment adds a user and a repository from a directory."""
    (tmp_path / "gadgets").mkdir()
    (tmp_path / "gadgets" / "main.go").write_text("package main\n")
    with httpx.Client(base_url=hub.admin_url) as admin:
        response = admin.post(
            "/seed",
            params={"base_dir": str(tmp_path)},
            json={
                "users": [{"login": "zed", "token": "ghp_zed"}],
                "repos": [{"full_name": "zed/gadgets", "source": "./gadgets"}],
            },
        )
        assert response.status_code == 201
        again = admin.post("/seed", json={"repos": [{"full_name": "zed/gadgets"}]})
        assert again.status_code == 422
    langs = httpx.get(
        hub.api_url + "/repos/zed/gadgets/languages", headers={"Authorization": "token ghp_zed"}
    )
    assert langs.json() == {"Go": len("package main\n")}


def test_apps_are_repointed_and_installed_at_run_time(hub: RunningHub, receiver: Receiver) -> None:
    """An App's webhook URL changes at run time; a new installation fires installation.created."""
    with httpx.Client(base_url=hub.admin_url) as admin:
        moved = admin.patch(
            "/apps/1", json={"webhook_url": receiver.url.replace("/webhook", "/moved")}
        )
        assert moved.status_code == 200
        hub.add_repo("acme/tools", collaborators={"alice": "write"})
        installed = admin.post(
            "/apps/1/installations",
            json={
                "id": 101,
                "account": "acme",
                "repositories": ["acme/tools"],
                "permissions": {"issues": "write"},
            },
        )
        assert installed.status_code == 201
        assert (
            admin.post("/apps/9/installations", json={"id": 5, "account": "x"}).status_code == 422
        )
    hub.open_issue("acme/tools", "Routed", as_user="alice")
    assert hub.wait_for_deliveries()
    events = [
        (r.headers["x-github-event"], r.json()["installation"]["id"]) for r in receiver.requests
    ]
    assert events == [("installation", 101), ("issues", 101)]
    assert {d["url"].rsplit("/", 1)[-1] for d in hub.deliveries()} == {"moved"}


CONTRACT_SEED = Path(__file__).parent.parent / "data" / "localhub" / "contract-seed.yml"


def test_the_documented_seed_file_loads_as_written(tmp_path: Path, app_key_pem: Path) -> None:
    """The seed example of the design contract loads unchanged, relative paths and all."""
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "main.py").write_text("print('hi')\n")
    (tmp_path / "app.pem").write_bytes(app_key_pem.read_bytes())
    (tmp_path / "seed.yml").write_text(CONTRACT_SEED.read_text())
    hub = start_localhub(tmp_path / "seed.yml")
    try:
        state = hub.state()
        assert state["repos"]["acme/widgets"]["collaborators"] == {
            "alice": "write",
            "mallory": "read",
        }
        assert state["installations"]["100"]["permissions"]["checks"] == "write"
        assert [h["url"] for h in state["hooks"].values()] == ["http://127.0.0.1:9000/hook"]
        readme = httpx.get(hub.api_url + "/repos/acme/widgets/contents/main.py")
        assert readme.status_code == 200
    finally:
        hub.stop()
