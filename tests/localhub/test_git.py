"""Git over smart HTTP: the git CLI and GitPython clone, fetch and push for real."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import git as gitpython
import httpx
import pytest

from bot.localhub import RunningHub
from tests.hub_fixtures import Receiver, git
from tests.localhub.clients import installation_token


def _commit(work: Path, name: str, text: str, message: str) -> None:
    (work / name).parent.mkdir(parents=True, exist_ok=True)
    (work / name).write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", message, cwd=work)


def test_clone_and_push_with_an_installation_token(
    hub: RunningHub, app_key_pem: Path, tmp_path: Path, receiver: Receiver
) -> None:
    """``x-access-token:<token>`` clones, pushes a branch, and the push fires a webhook."""
    token = installation_token(hub.api_url, app_key_pem)
    work = tmp_path / "work"
    git("clone", "-q", hub.git_url("acme/widgets", token), str(work), cwd=tmp_path)
    assert (work / "README.md").read_text() == "# widgets\n"
    git("checkout", "-q", "-b", "feature", cwd=work)
    _commit(work, "src/feature.py", "print('hi')\n", "Add feature")
    git("push", "-q", "origin", "feature", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    branch = httpx.get(
        hub.api_url + "/repos/acme/widgets/branches/feature",
        headers={"Authorization": f"token {token}"},
    )
    assert branch.json()["commit"]["sha"] == head
    assert hub.wait_for_deliveries()
    pushes = [r.json() for r in receiver.requests if r.headers["x-github-event"] == "push"]
    assert pushes[-1]["ref"] == "refs/heads/feature"
    assert pushes[-1]["after"] == head
    assert pushes[-1]["created"] is True
    assert [c["message"] for c in pushes[-1]["commits"]] == ["Add feature"]
    assert pushes[-1]["commits"][0]["added"] == ["src/feature.py"]


def test_push_to_a_pull_request_head_fires_synchronize(
    hub: RunningHub, tmp_path: Path, receiver: Receiver
) -> None:
    """A push to a PR's head branch moves the PR and fires ``pull_request.synchronize``."""
    hub.push("acme/widgets", "topic", {"a.txt": "1\n"}, as_user="alice")
    pr = hub.open_pull("acme/widgets", "topic", title="Topic", as_user="alice")
    work = tmp_path / "work"
    git("clone", "-q", "-b", "topic", hub.git_url("acme/widgets", "ghp_alice", "alice"), str(work))
    _commit(work, "a.txt", "2\n", "Second")
    git("push", "-q", "origin", "topic", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert hub.wait_for_deliveries()
    syncs = [
        r.json()
        for r in receiver.requests
        if r.headers["x-github-event"] == "pull_request" and r.json()["action"] == "synchronize"
    ]
    assert len(syncs) == 1
    assert syncs[0]["after"] == head
    assert syncs[0]["pull_request"]["head"]["sha"] == head
    files = httpx.get(
        f"{hub.api_url}/repos/acme/widgets/pulls/{pr['number']}/files",
        headers={"Authorization": "token ghp_alice"},
    ).json()
    assert [(f["filename"], f["status"], f["additions"]) for f in files] == [("a.txt", "added", 1)]
    assert files[0]["patch"] == "@@ -0,0 +1 @@\n+2"


def test_read_access_cannot_push_and_strangers_cannot_clone_private(
    hub: RunningHub, tmp_path: Path
) -> None:
    """A read collaborator's push is refused; a private clone needs access."""
    work = tmp_path / "work"
    git("clone", "-q", hub.git_url("acme/widgets", "ghp_mallory", "mallory"), str(work))
    _commit(work, "x.txt", "x\n", "Mallory")
    refused = git("push", "origin", "HEAD:main", cwd=work, check=False)
    assert refused.returncode != 0
    assert "403" in refused.stderr or "denied" in refused.stderr
    private = git(
        "clone",
        hub.git_url("acme/secret", "ghp_mallory", "mallory"),
        str(tmp_path / "s"),
        check=False,
    )
    assert private.returncode != 0
    anonymous = git("clone", hub.git_url("acme/secret"), str(tmp_path / "a"), check=False)
    assert anonymous.returncode != 0
    public = git("clone", "-q", hub.git_url("acme/widgets"), str(tmp_path / "p"), check=False)
    assert public.returncode == 0


def test_wrong_token_cannot_push(hub: RunningHub, tmp_path: Path) -> None:
    """A token localhub does not know cannot push (a public clone needs no token at all)."""
    work = tmp_path / "w"
    git("clone", "-q", hub.git_url("acme/widgets", "ghp_wrong"), str(work))
    _commit(work, "x.txt", "x\n", "Nope")
    result = git("push", "origin", "HEAD:refs/heads/nope", cwd=work, check=False)
    assert result.returncode != 0
    assert (
        hub.hub.state.repos["acme/widgets"].pushed_at
        == hub.hub.state.repos["acme/widgets"].created_at
    )


def test_gitpython_clones_fetches_and_pushes(hub: RunningHub, tmp_path: Path) -> None:
    """GitPython works against localhub the way it works against GitHub."""
    url = hub.git_url("acme/widgets", "ghp_alice", "alice")
    repo = gitpython.Repo.clone_from(url, tmp_path / "gp")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Alice")
        config.set_value("user", "email", "alice@example.com")
    (tmp_path / "gp" / "gp.txt").write_text("from gitpython\n")
    repo.index.add(["gp.txt"])
    commit = repo.index.commit("GitPython commit")
    repo.remote("origin").push("HEAD:refs/heads/gp").raise_if_error()
    hub.push("acme/widgets", "gp", {"later.txt": "later\n"}, as_user="alice")
    repo.remote("origin").fetch()
    fetched = repo.commit("origin/gp")
    assert fetched.parents[0].hexsha == commit.hexsha
    assert fetched.message.strip() == "Update files"


def test_gzip_request_bodies_are_inflated(hub: RunningHub) -> None:
    """An upload-pack request sent with Content-Encoding: gzip gets a pack back."""
    sha = httpx.get(hub.api_url + "/repos/acme/widgets/branches/main").json()["commit"]["sha"]
    want = f"want {sha}\n"
    request = f"{len(want) + 4:04x}{want}00000009done\n".encode()
    response = httpx.post(
        hub.git_url("acme/widgets") + "/git-upload-pack",
        content=gzip.compress(request),
        headers={
            "Content-Type": "application/x-git-upload-pack-request",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 200
    assert b"PACK" in response.content


@pytest.mark.parametrize("path", ["/info/refs", "/HEAD", "/objects/info/packs"])
def test_dumb_protocol_paths_are_not_served(hub: RunningHub, path: str) -> None:
    """Only the smart protocol is served, as on GitHub."""
    assert httpx.get(hub.git_url("acme/widgets") + path).status_code == 404


def test_large_chunked_push_lands_whole(hub: RunningHub, tmp_path: Path) -> None:
    """A push bigger than git's 1 MB post buffer (sent chunked) arrives complete."""
    work = tmp_path / "big"
    git("clone", "-q", hub.git_url("acme/widgets", "ghp_alice", "alice"), str(work))
    (work / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "Big blob", cwd=work)
    pushed = git("push", "origin", "HEAD:refs/heads/big", cwd=work, check=False)
    assert pushed.returncode == 0, pushed.stderr
    again = tmp_path / "again"
    git("clone", "-q", "-b", "big", hub.git_url("acme/widgets"), str(again))
    assert (again / "blob.bin").read_bytes() == (work / "blob.bin").read_bytes()
