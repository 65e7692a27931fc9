"""State under ``--data`` survives a restart; concurrent requests and pushes stay consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bot.localhub import start_localhub
from tests.hub_fixtures import git

ALICE = {"Authorization": "token ghp_alice"}


def test_state_and_repositories_survive_a_restart(seed_file: Path, tmp_path: Path) -> None:
    """Issues, comments, pushed branches and numbering are still there after a restart."""
    data = tmp_path / "data"
    first = start_localhub(seed_file, data_dir=data)
    try:
        issue = httpx.post(
            first.api_url + "/repos/acme/widgets/issues", headers=ALICE, json={"title": "Keep me"}
        ).json()
        first.comment("acme/widgets", issue["number"], "Remembered", as_user="mallory")
        head = first.push("acme/widgets", "saved", {"kept.txt": "yes\n"}, as_user="alice")
    finally:
        first.stop()
    second = start_localhub(seed_file, data_dir=data)
    try:
        got = httpx.get(
            f"{second.api_url}/repos/acme/widgets/issues/{issue['number']}", headers=ALICE
        )
        assert got.json()["title"] == "Keep me"
        assert got.json()["comments"] == 1
        branch = httpx.get(second.api_url + "/repos/acme/widgets/branches/saved", headers=ALICE)
        assert branch.json()["commit"]["sha"] == head
        nxt = httpx.post(
            second.api_url + "/repos/acme/widgets/issues", headers=ALICE, json={"title": "Next"}
        )
        assert nxt.json()["number"] == issue["number"] + 1
        assert len(second.state()["repos"]) == 2  # the seed was not applied twice
    finally:
        second.stop()


def test_without_data_nothing_is_kept(seed_file: Path) -> None:
    """A memory-only hub removes its repositories when it stops."""
    hub = start_localhub(seed_file)
    root = hub.hub.root
    assert (root / "repos").is_dir()
    hub.stop()
    assert not root.exists()


def test_concurrent_issue_creation_gives_unique_numbers(seed_file: Path) -> None:
    """Twenty issues opened at once get the numbers 1 to 20, each exactly once."""
    hub = start_localhub(seed_file)
    try:

        def create(index: int) -> int:
            response = httpx.post(
                hub.api_url + "/repos/acme/widgets/issues",
                headers=ALICE,
                json={"title": f"#{index}"},
            )
            number: int = response.json()["number"]
            return number

        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = list(pool.map(create, range(20)))
        assert sorted(numbers) == list(range(1, 21))
    finally:
        hub.stop()


def test_concurrent_pushes_all_land(seed_file: Path, tmp_path: Path) -> None:
    """Pushes of four branches at the same time all update their refs."""
    hub = start_localhub(seed_file)
    try:
        url = hub.git_url("acme/widgets", "ghp_alice", "alice")

        def push(index: int) -> str:
            work = tmp_path / f"w{index}"
            git("clone", "-q", url, str(work))
            (work / f"f{index}.txt").write_text(f"{index}\n")
            git("add", "-A", cwd=work)
            git("commit", "-q", "-m", f"c{index}", cwd=work)
            git("push", "-q", "origin", f"HEAD:refs/heads/b{index}", cwd=work)
            return git("rev-parse", "HEAD", cwd=work).stdout.strip()

        with ThreadPoolExecutor(max_workers=4) as pool:
            heads = list(pool.map(push, range(4)))
        for index, head in enumerate(heads):
            branch = httpx.get(f"{hub.api_url}/repos/acme/widgets/branches/b{index}", headers=ALICE)
            assert branch.json()["commit"]["sha"] == head
        assert hub.wait_for_deliveries()
        assert len(hub.deliveries("push")) == 4
    finally:
        hub.stop()
