"""Mirrors, checkouts, commits and pushes with real git against a bare "remote"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.adapters.git import GitError, GitWorkspaces
from bot.ports import GitIdentity

AUTHOR = GitIdentity(name="specbot", email="specbot@example.com")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository with one commit on main, standing in for GitHub."""
    work = tmp_path / "seed"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("# widgets\n")
    _git(work, "add", ".")
    _git(work, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-qm", "first")
    bare = tmp_path / "remote.git"
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def test_checkout_commit_push_round_trip(tmp_path: Path, remote: Path) -> None:
    """A run's checkout starts from main, commits as specbot and pushes a new branch."""
    spaces = GitWorkspaces(tmp_path / "cache")
    spaces.refresh_mirror("acme/widgets", str(remote), None)
    checkout = spaces.checkout(
        "acme/widgets", "spec:acme/widgets#1:abc", "specbot/issue-1-x", "main", str(remote)
    )
    assert (checkout / "README.md").read_text() == "# widgets\n"
    assert spaces.commit_all(checkout, "Nothing yet", AUTHOR) is None
    (checkout / "export.py").write_text("print('csv')\n")
    sha = spaces.commit_all(checkout, "Add CSV export", AUTHOR)
    assert sha is not None
    assert spaces.push(checkout, "specbot/issue-1-x", None) == sha
    assert _git(remote, "rev-parse", "refs/heads/specbot/issue-1-x") == sha
    assert _git(remote, "log", "-1", "--format=%an <%ae>|%s", sha) == (
        "specbot <specbot@example.com>|Add CSV export"
    )
    assert "export.py" in spaces.diff(checkout, "main")


def test_second_run_continues_the_existing_branch(tmp_path: Path, remote: Path) -> None:
    """A later run checks out the branch as pushed, not a fresh one from main."""
    spaces = GitWorkspaces(tmp_path / "cache")
    spaces.refresh_mirror("acme/widgets", str(remote), None)
    first = spaces.checkout("acme/widgets", "run-1", "specbot/issue-2-y", "main", str(remote))
    (first / "a.txt").write_text("round 1\n")
    spaces.commit_all(first, "Round 1", AUTHOR)
    spaces.push(first, "specbot/issue-2-y", None)
    spaces.refresh_mirror("acme/widgets", str(remote), None)
    second = spaces.checkout("acme/widgets", "run-2", "specbot/issue-2-y", "main", str(remote))
    assert (second / "a.txt").read_text() == "round 1\n"


def test_checkout_has_no_credentials_anywhere(tmp_path: Path, remote: Path) -> None:
    """Credentials used for a fetch never land in the checkout's or mirror's config."""
    spaces = GitWorkspaces(tmp_path / "cache")
    spaces.refresh_mirror("acme/widgets", str(remote), ("x-access-token", "ghs_canary123"))
    checkout = spaces.checkout("acme/widgets", "run", "b", "main", "https://example.com/a/b.git")
    texts = [p.read_text(errors="replace") for p in (tmp_path / "cache").rglob("config")]
    assert texts and not any("ghs_canary123" in text for text in texts)
    assert _git(checkout, "remote", "get-url", "origin") == "https://example.com/a/b.git"


def test_failures_name_the_operation_not_the_secret(tmp_path: Path) -> None:
    """A failing fetch raises GitError with git's message and no credential."""
    spaces = GitWorkspaces(tmp_path / "cache")
    with pytest.raises(GitError, match="git fetch failed") as info:
        spaces.refresh_mirror("acme/nope", str(tmp_path / "missing.git"), ("u", "ghs_canary456"))
    assert "ghs_canary456" not in str(info.value)


def test_remove_only_deletes_run_checkouts(tmp_path: Path, remote: Path) -> None:
    """Removing a checkout deletes it; paths outside the runs folder are left alone."""
    spaces = GitWorkspaces(tmp_path / "cache")
    spaces.refresh_mirror("acme/widgets", str(remote), None)
    checkout = spaces.checkout("acme/widgets", "run", "b", "main", str(remote))
    spaces.remove(tmp_path)
    assert tmp_path.exists()
    spaces.remove(checkout)
    assert not checkout.exists()


def test_commit_never_runs_hooks_from_the_checkout(tmp_path: Path, remote: Path) -> None:
    """A pre-commit or commit-msg hook planted in the checkout's .git does not run."""
    spaces = GitWorkspaces(tmp_path / "cache")
    spaces.refresh_mirror("acme/widgets", str(remote), None)
    checkout = spaces.checkout("acme/widgets", "run", "b", "main", str(remote))
    witness = tmp_path / "hook-ran"
    for hook in ("pre-commit", "commit-msg", "post-commit"):
        script = checkout / ".git" / "hooks" / hook
        script.write_text(f"#!/bin/sh\necho {hook} >> '{witness}'\n")
        script.chmod(0o755)
    (checkout / "x.txt").write_text("x\n")
    assert spaces.commit_all(checkout, "Add x", AUTHOR) is not None
    assert not witness.exists()
