"""Pull requests from forks: ``head.repo`` is the fork, the commits live in the base repository
as ``refs/pull/<n>/head``, and a branch of the same name elsewhere is never mixed up with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.localhub import RunningHub
from bot.localhub._errors import ApiError
from tests.hub_fixtures import Receiver, git

BASE = "acme/widgets"
FORK = "mallory/widgets"


def _pull_events(receiver: Receiver, action: str) -> list[dict[str, Any]]:
    return [
        r.json()
        for r in receiver.requests
        if r.headers["x-github-event"] == "pull_request" and r.json()["action"] == action
    ]


def _get(hub: RunningHub, path: str) -> Any:
    response = httpx.get(hub.api_url + path, headers={"Authorization": "token ghp_alice"})
    response.raise_for_status()
    return response.json()


def test_a_fork_pull_request_is_shaped_as_githubs(
    hub: RunningHub, tmp_path: Path, receiver: Receiver
) -> None:
    """mallory's fork opens a pull request on acme/widgets: the webhook's head is the fork's
    branch and repository, the base repository serves its files and its head commit, and a
    push to the fork moves the pull request with ``synchronize`` on the base repository."""
    hub.add_repo(FORK, fork_of=BASE)
    first = hub.push(FORK, "topic", {"a.txt": "1\n"}, as_user="mallory", message="From a fork")
    pr = hub.open_pull(BASE, "mallory:topic", title="Topic", as_user="mallory")
    assert hub.wait_for_deliveries()

    [opened] = _pull_events(receiver, "opened")
    head = opened["pull_request"]["head"]
    assert (head["label"], head["ref"], head["sha"]) == ("mallory:topic", "topic", first)
    assert head["user"]["login"] == "mallory"
    assert (head["repo"]["full_name"], head["repo"]["fork"]) == (FORK, True)
    base = opened["pull_request"]["base"]
    assert (base["repo"]["full_name"], base["repo"]["fork"]) == (BASE, False)
    files = _get(hub, f"/repos/{BASE}/pulls/{pr['number']}/files")
    assert [(f["filename"], f["status"]) for f in files] == [("a.txt", "added")]
    assert _get(hub, f"/repos/{BASE}/commits/{first}")["commit"]["message"] == "From a fork"

    work = tmp_path / "work"
    git("clone", "-q", "--mirror", hub.git_url(BASE, "ghp_alice", "alice"), str(work))
    pinned = git("rev-parse", f"refs/pull/{pr['number']}/head", cwd=work).stdout.strip()
    assert pinned == first

    second = hub.push(FORK, "topic", {"a.txt": "2\n"}, as_user="mallory", start_from="topic")
    assert hub.wait_for_deliveries()
    [synced] = _pull_events(receiver, "synchronize")
    assert synced["repository"]["full_name"] == BASE
    assert (synced["after"], synced["pull_request"]["head"]["sha"]) == (second, second)


def test_a_branch_of_the_same_name_is_not_the_fork_branch(
    hub: RunningHub, receiver: Receiver
) -> None:
    """acme's own ``topic`` branch neither moves the fork's pull request nor matches the
    ``head=mallory:topic`` filter, and the fork's pull request is not ``acme:topic``'s; a head
    owned by someone without a fork is refused."""
    hub.add_repo(FORK, fork_of=BASE)
    fork_head = hub.push(FORK, "topic", {"a.txt": "1\n"}, as_user="mallory")
    pr = hub.open_pull(BASE, "mallory:topic", title="From the fork", as_user="mallory")
    own_head = hub.push(BASE, "topic", {"b.txt": "1\n"}, as_user="alice")
    assert hub.wait_for_deliveries()

    assert _pull_events(receiver, "synchronize") == []
    assert _get(hub, f"/repos/{BASE}/pulls/{pr['number']}")["head"]["sha"] == fork_head
    assert [p["number"] for p in _get(hub, f"/repos/{BASE}/pulls?head=acme:topic")] == []
    by_fork = _get(hub, f"/repos/{BASE}/pulls?head=mallory:topic")
    assert [p["number"] for p in by_fork] == [pr["number"]]
    own = hub.open_pull(BASE, "topic", title="Own branch", as_user="alice")
    assert own["head"]["sha"] == own_head and own["head"]["repo"]["full_name"] == BASE

    with pytest.raises(ApiError) as refused:
        hub.open_pull(BASE, "trent:topic", title="No fork", as_user="alice")
    assert refused.value.status == 422
    assert "not a fork" in str(refused.value.errors)
