"""Protected paths go back to their base content before a commit; .git tampering is undone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from git import Actor, Repo

from bot.agents.tools import ToolError, Workspace
from bot.workspace import (
    GuardError,
    editor_denied_paths,
    exclude_untracked,
    is_protected,
    protected_changes,
    restore_before_commit,
    restore_git,
    restore_protected,
    snapshot_git,
)
from tests.workspace.project import git, write_project

BASE_FILES = {
    ".github/workflows/ci.yml": "on: push\n",
    ".github/specbot.yml": "gate:\n  min_score: 80\n",
    ".github/CODEOWNERS": "* @team\n",
    "src/app.py": "print('v1')\n",
}


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str]:
    """A repository with a workflow, specbot's config and code; its base commit."""
    root = write_project(tmp_path / "repo", BASE_FILES)
    return root, git(root, "rev-parse", "HEAD").strip()


def agent_changes(root: Path) -> None:
    """What a careless or hostile agent does: CI, config, a new workflow and the code."""
    (root / ".github/workflows/ci.yml").write_text("on: push\njobs: {steal: {}}\n")
    (root / ".github/workflows/new.yml").write_text("on: pull_request_target\n")
    (root / ".github/specbot.yml").write_text("gate:\n  min_score: 0\n")
    (root / ".github/CODEOWNERS").write_text("* @someone-else\n")
    (root / "src/app.py").write_text("print('v2')\n")


def test_protected_paths_are_restored_and_the_rest_is_kept(checkout: tuple[Path, str]) -> None:
    """Workflows and specbot.yml go back to base, a new workflow goes away, code stays."""
    root, base = checkout
    agent_changes(root)
    assert protected_changes(root, base) == [
        ".github/specbot.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/new.yml",
    ]
    notes = restore_protected(root, base)
    assert (root / ".github/workflows/ci.yml").read_text() == "on: push\n"
    assert (root / ".github/specbot.yml").read_text() == "gate:\n  min_score: 80\n"
    assert not (root / ".github/workflows/new.yml").exists()
    assert (root / "src/app.py").read_text() == "print('v2')\n"
    assert (root / ".github/CODEOWNERS").read_text() == "* @someone-else\n"
    assert len(notes) == 3 and any("new.yml" in note and "removed" in note for note in notes)
    assert protected_changes(root, base) == []


def test_allowed_paths_are_kept(checkout: tuple[Path, str]) -> None:
    """With workflows allowed, only specbot.yml is restored."""
    root, base = checkout
    agent_changes(root)
    notes = restore_protected(root, base, allow_paths=[".github/workflows/"])
    assert (root / ".github/workflows/ci.yml").read_text().endswith("steal: {}}\n")
    assert (root / ".github/workflows/new.yml").exists()
    assert (root / ".github/specbot.yml").read_text() == "gate:\n  min_score: 80\n"
    assert notes == ["reverted the change to .github/specbot.yml: agents may not change it"]


def test_changes_the_agent_committed_are_restored_too(checkout: tuple[Path, str]) -> None:
    """A workflow edit already committed (or deleted) is put back in the working tree and index."""
    root, base = checkout
    agent_changes(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "agent commit")
    git(root, "rm", "-q", ".github/specbot.yml")
    restore_protected(root, base)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "follow-up")
    changed = git(root, "diff", "--name-only", base, "HEAD").split()
    assert changed == [".github/CODEOWNERS", "src/app.py"]


def test_case_variants_and_symlinked_folders_do_not_escape(checkout: tuple[Path, str]) -> None:
    """A differently cased workflow path counts as protected; a symlinked .github is undone."""
    root, base = checkout
    assert is_protected(".GitHub/Workflows/x.yml")
    assert is_protected(".git/hooks/pre-commit", allow_paths=[".git"])
    assert not is_protected(".github/workflowsx.yml")
    outside = root.parent / "outside"
    outside.mkdir()
    (root / ".github/workflows/ci.yml").unlink()
    (root / ".github/workflows").rmdir()
    (root / ".github/workflows").symlink_to(outside, target_is_directory=True)
    restore_protected(root, base)
    assert not (root / ".github/workflows").is_symlink()
    assert (root / ".github/workflows/ci.yml").read_text() == "on: push\n"
    assert list(outside.iterdir()) == []


def test_git_hooks_and_config_written_by_agents_are_undone(checkout: tuple[Path, str]) -> None:
    """A hook and a clean filter an agent added do not run when GitPython commits afterwards."""
    root, base = checkout
    snapshot = snapshot_git(root)
    witness = root.parent / "hook-ran"
    hook = root / ".git/hooks/pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {witness}\n")
    hook.chmod(0o755)
    git(root, "config", "core.hooksPath", ".git/hooks")
    git(root, "config", "filter.evil.clean", f"touch {witness}; cat")
    (root / ".gitattributes").write_text("* filter=evil\n")
    (root / "src/app.py").write_text("print('v2')\n")

    notes = restore_git(root, snapshot)

    assert not hook.exists()
    config = (root / ".git/config").read_text()
    assert "hooksPath" not in config and "evil" not in config
    assert any("pre-commit" in note for note in notes)
    assert any(".git/config" in note for note in notes)
    repo = Repo(root)
    repo.git.add("--all")
    commit = repo.index.commit("work", author=Actor("a", "a@example.com"))
    assert not witness.exists()
    tree = [str(entry.path) for entry in commit.tree.traverse()]  # type: ignore[union-attr]
    assert "src/app.py" in tree and not any(path.startswith(".git/") for path in tree)
    assert restore_git(root, snapshot) == []


def test_an_unknown_base_is_a_clear_error(checkout: tuple[Path, str]) -> None:
    """A base commit that does not exist raises GuardError naming git's complaint."""
    root, _ = checkout
    with pytest.raises(GuardError, match="git diff failed"):
        protected_changes(root, "0" * 40)


def test_file_names_are_literal_not_patterns(checkout: tuple[Path, str]) -> None:
    """A new workflow named with glob characters is removed alone, the others stay."""
    root, base = checkout
    (root / ".github/workflows/*.yml").write_text("on: push\n")
    restore_protected(root, base)
    assert not (root / ".github/workflows/*.yml").exists()
    assert (root / ".github/workflows/ci.yml").exists()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_the_editor_refuses_protected_paths_unless_allowed(checkout: tuple[Path, str]) -> None:
    """The editor's deny-list matches the guard: specbot.yml refused, allowed workflows open."""
    root, _ = checkout
    assert editor_denied_paths() == (".git", ".github/workflows", ".github/specbot.yml")
    workspace = Workspace(root, denied=editor_denied_paths())
    with pytest.raises(ToolError, match="denied"):
        workspace.resolve(".github/specbot.yml")
    allowed = Workspace(root, denied=editor_denied_paths([".github/workflows/ci.yml"]))
    assert allowed.resolve(".github/workflows/ci.yml") == root / ".github/workflows/ci.yml"
    with pytest.raises(ToolError, match="denied"):
        allowed.resolve(".git/config")


def test_setup_leftovers_are_excluded_but_later_files_are_committed(
    checkout: tuple[Path, str],
) -> None:
    """What exists after setup stays out of commits; files added afterwards still go in."""
    root, _ = checkout
    (root / "build").mkdir()
    (root / "build" / "lib.so").write_text("binary")
    (root / "odd [name]*.egg-info").write_text("meta")
    assert exclude_untracked(root) == ["build/", "odd [name]*.egg-info"]
    (root / "src" / "new.py").write_text("x = 1\n")
    (root / "odd name.egg-info").write_text("added later, so committed")
    git(root, "add", "--all")
    staged = git(root, "diff", "--cached", "--name-only").split("\n")
    assert [path for path in staged if path] == ["odd name.egg-info", "src/new.py"]
    assert exclude_untracked(root) == []


def test_a_workflow_replaced_by_a_folder_is_restored(checkout: tuple[Path, str]) -> None:
    """A protected file turned into a folder of new files comes back as the file."""
    root, base = checkout
    (root / ".github/workflows/ci.yml").unlink()
    (root / ".github/workflows/ci.yml").mkdir()
    (root / ".github/workflows/ci.yml/inner.yml").write_text("on: push\n")
    restore_protected(root, base)
    assert (root / ".github/workflows/ci.yml").read_text() == "on: push\n"
    assert protected_changes(root, base) == []


def test_a_symlinked_hooks_folder_is_removed(checkout: tuple[Path, str], tmp_path: Path) -> None:
    """.git/hooks replaced by a link to the agent's own hooks is undone."""
    root, _ = checkout
    snapshot = snapshot_git(root)
    elsewhere = tmp_path / "evil-hooks"
    elsewhere.mkdir()
    (elsewhere / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    shutil.rmtree(root / ".git/hooks")
    (root / ".git/hooks").symlink_to(elsewhere, target_is_directory=True)
    notes = restore_git(root, snapshot)
    assert not (root / ".git/hooks").is_symlink()
    assert (elsewhere / "pre-commit").exists()  # the link's target is left alone
    assert any("replaced by a link" in note for note in notes)


def test_a_replaced_git_folder_is_refused(checkout: tuple[Path, str], tmp_path: Path) -> None:
    """A .git turned into a gitdir: file pointing elsewhere makes the guard refuse."""
    root, _ = checkout
    snapshot = snapshot_git(root)
    (root / ".git").rename(tmp_path / "moved.git")
    (root / ".git").write_text(f"gitdir: {tmp_path / 'moved.git'}\n")
    with pytest.raises(GuardError, match="refusing to commit"):
        restore_git(root, snapshot)


def test_a_changed_existing_hook_is_put_back(tmp_path: Path) -> None:
    """A hook the checkout already had is restored to its content, not deleted."""
    root = write_project(tmp_path / "repo", BASE_FILES)
    hook = root / ".git/hooks/post-checkout"
    hook.write_text("#!/bin/sh\necho original\n")
    snapshot = snapshot_git(root)
    hook.write_text("#!/bin/sh\ncurl evil\n")
    assert restore_git(root, snapshot) == [
        "restored .git/hooks/post-checkout: agents may not change git's configuration or hooks"
    ]
    assert hook.read_text() == "#!/bin/sh\necho original\n"


def test_before_a_commit_git_state_goes_back_first(checkout: tuple[Path, str]) -> None:
    """An agent's clean filter never runs while protected paths are listed and restored."""
    root, base = checkout
    snapshot = snapshot_git(root)
    witness = root.parent / "filter-ran"
    git(root, "config", "filter.evil.clean", f"touch {witness}; cat")
    (root / ".gitattributes").write_text("* filter=evil\n")
    (root / ".github/specbot.yml").write_text("gate: {}\n")
    (root / "src/app.py").write_text("print('v2')\n")
    notes = restore_before_commit(root, base, snapshot)
    assert notes[0].startswith("restored .git/config")
    assert notes[1] == "reverted the change to .github/specbot.yml: agents may not change it"
    assert not witness.exists()


def test_symlinks_out_of_the_checkout_are_left_out_of_the_commit(
    checkout: tuple[Path, str],
) -> None:
    """Absolute links and links climbing out are dropped (or put back); links inside stay."""
    root, base = checkout
    snapshot = snapshot_git(root)
    (root / "docs").mkdir()
    (root / "leak").symlink_to("/etc/passwd")
    (root / "docs" / "up").symlink_to("../../../data/app.pem")
    (root / "docs" / "sneaky").symlink_to("../src/../../outside")
    (root / "docs" / "app.py").symlink_to("../src/app.py")  # inside: a fair link
    (root / "src" / "app.py").unlink()
    (root / "src" / "app.py").symlink_to("/proc/1/root/etc/hostname")
    git(root, "add", "docs/up")
    git(root, "commit", "-q", "-m", "the agent committed one itself")
    notes = restore_before_commit(root, base, snapshot)
    git(root, "add", "--all")
    links = [
        line.split("\t")[1]
        for line in git(root, "ls-files", "-s").splitlines()
        if line.startswith("120000 ")
    ]
    assert links == ["docs/app.py"]
    assert (root / "src" / "app.py").read_text() == "print('v1')\n"
    assert not (root / "src" / "app.py").is_symlink()
    assert sorted(n for n in notes if n.startswith("left out the symlink")) == [
        "left out the symlink docs/sneaky -> ../src/../../outside: it points outside the"
        " repository",
        "left out the symlink docs/up -> ../../../data/app.pem: it points outside the repository",
        "left out the symlink leak -> /etc/passwd: it points outside the repository",
        "left out the symlink src/app.py -> /proc/1/root/etc/hostname: it points outside the"
        " repository",
    ]
