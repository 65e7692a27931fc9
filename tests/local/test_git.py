"""``bot.local``'s git helpers on real repositories: the local diff as GitHub lists files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.diffs import parse_hunks
from bot.local import LocalGitError, free_branch, local_diff, read_at, resolve_commit
from bot.local._git import clone_for_run, export_tree, publish_branch
from tests.cli.local_repos import git, make_calc_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The calc repository on ``main``."""
    return make_calc_repo(tmp_path)


def commit_all(repo: Path, message: str) -> str:
    """Commit every change; the new sha."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def test_local_diff_lists_each_file_with_status_counts_and_hunks(repo: Path) -> None:
    """Added, removed, renamed, binary and oddly named files each get GitHub's status, their
    counts, and a patch of hunks only (None for binary files)."""
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "README.md").unlink()
    git(repo, "mv", "tests/test_ops.py", "tests/test_add.py")
    (repo / "calc" / "ops.py").write_text("def add(a, b):\n    return b + a\n", encoding="utf-8")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (repo / "name with spaces é.txt").write_text("one\ntwo\n", encoding="utf-8")
    head = commit_all(repo, "many kinds of change")
    files = {item.path: item for item in local_diff(repo, base, head)}
    assert {path: item.status for path, item in files.items()} == {
        "README.md": "removed",
        "calc/ops.py": "modified",
        "logo.png": "added",
        "name with spaces é.txt": "added",
        "tests/test_add.py": "renamed",
    }
    assert files["logo.png"].patch is None
    assert (files["name with spaces é.txt"].additions, files["README.md"].deletions) == (2, 3)
    ops = files["calc/ops.py"].patch
    assert ops is not None and ops.startswith("@@ ") and "diff --git" not in ops
    assert (files["calc/ops.py"].deletions, files["calc/ops.py"].additions) == (11, 1)
    assert [hunk.added for hunk in parse_hunks(ops)] == [frozenset({2})]
    assert files["tests/test_add.py"].patch is None  # a pure rename has no hunk


def test_local_diff_uses_the_merge_base(repo: Path) -> None:
    """Like a pull request, ``base...head`` leaves out what the base gained since the fork."""
    git(repo, "checkout", "--quiet", "-b", "feature")
    (repo / "feature.txt").write_text("new\n", encoding="utf-8")
    head = commit_all(repo, "feature")
    git(repo, "checkout", "--quiet", "main")
    (repo / "main-only.txt").write_text("later on main\n", encoding="utf-8")
    base = commit_all(repo, "main moves on")
    assert [item.path for item in local_diff(repo, base, head)] == ["feature.txt"]


def test_export_tree_copies_files_but_no_link(repo: Path, tmp_path: Path) -> None:
    """The exported copy has the commit's files, and a link out of it is left out."""
    (repo / "escape").symlink_to("/etc/hostname")
    head = commit_all(repo, "a link")
    out = export_tree(repo, head, tmp_path / "copy")
    assert (out / "calc" / "ops.py").read_text(encoding="utf-8").startswith("# calc.ops")
    assert not (out / "escape").exists() and not (out / "escape").is_symlink()
    assert not (out / ".git").exists()


def test_clone_and_publish_create_only_the_new_branch(repo: Path, tmp_path: Path) -> None:
    """The private clone has no remote; publishing adds the branch and refuses to overwrite."""
    base = resolve_commit(repo, "main")
    checkout = clone_for_run(repo, base, "specbot/local-x", tmp_path / "run" / "checkout")
    assert git(checkout, "remote").strip() == ""
    (checkout / "new.txt").write_text("x\n", encoding="utf-8")
    sha = commit_all(checkout, "work")
    publish_branch(repo, checkout, "specbot/local-x")
    assert git(repo, "rev-parse", "specbot/local-x").strip() == sha
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert free_branch(repo, "specbot/local-x") == "specbot/local-x-2"
    with pytest.raises(LocalGitError, match="not overwritten"):
        publish_branch(repo, checkout, "specbot/local-x")


def test_read_at_and_resolve_commit(repo: Path) -> None:
    """A file at a commit, None for a missing one; an unknown or option-like ref is refused."""
    head = resolve_commit(repo, "HEAD")
    assert read_at(repo, head, "README.md") == "# calc\n\nInteger operations.\n"
    assert read_at(repo, head, ".github/specbot.yml") is None
    for bad in ("no-such-branch", "--all"):
        with pytest.raises(LocalGitError, match="is not a"):
            resolve_commit(repo, bad)


def test_clone_runs_no_hook_from_the_users_git_template(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post-checkout hook in the user's init.templateDir is not installed or run."""
    template = tmp_path / "template"
    (template / "hooks").mkdir(parents=True)
    marker = tmp_path / "hook-ran"
    hook = template / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    hook.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(f"[init]\n\ttemplateDir = {template}\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    checkout = clone_for_run(repo, resolve_commit(repo, "HEAD"), "b", tmp_path / "run" / "co")
    assert (checkout / "calc" / "ops.py").is_file()
    assert not marker.exists()
    assert not (checkout / ".git" / "hooks" / "post-checkout").exists()
