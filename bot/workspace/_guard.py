"""What agents may not change: protected paths go back to their base content before a commit.

CI workflows and specbot's own configuration are restored unless the repository allows them
(``workspace.allow_paths``), so a run can never rewrite the rules that check it. ``.git`` is
never committed by git itself, but an agent with a shell can still change its config and hooks,
which git and GitPython would then execute with the service's privileges when committing; a
snapshot taken before the agents start is put back, and hooks added since are deleted.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.workspace._config import PROTECTED_PATHS

# Files of .git that git executes or obeys when committing; restored to their snapshot.
_GIT_FILES = ("config", "info/attributes", "info/exclude", "info/sparse-checkout")


class GuardError(RuntimeError):
    """The checkout's changes could not be listed or restored."""


def _matches(path: str, rule: str) -> bool:
    """Whether ``path`` is ``rule`` or lies under it, compared case-insensitively."""
    rule_parts = PurePosixPath(rule.casefold()).parts
    return PurePosixPath(path.casefold()).parts[: len(rule_parts)] == rule_parts


def is_protected(path: str, allow_paths: Iterable[str] = ()) -> bool:
    """Whether agents may not change ``path`` (compared case-insensitively, as editors do)."""
    if PurePosixPath(path.casefold()).parts[:1] == (".git",):
        return True
    if not any(_matches(path, rule) for rule in PROTECTED_PATHS):
        return False
    return not any(_matches(path, allowed) for allowed in allow_paths)


def editor_denied_paths(allow_paths: Sequence[str] = ()) -> tuple[str, ...]:
    """Paths for the agents' editor to refuse (``bot.agents.tools.Workspace(denied=...)``).

    A protected path is left out when an allowed entry lies in it or above it, so that the
    editor never refuses an allowed file; the guard still restores what is not allowed.
    """
    kept = [
        rule.rstrip("/")
        for rule in PROTECTED_PATHS
        if not any(_matches(rule, allowed) or _matches(allowed, rule) for allowed in allow_paths)
    ]
    return (".git", *kept)


def protected_changes(checkout: Path, base: str, allow_paths: Sequence[str] = ()) -> list[str]:
    """Paths changed since ``base`` (committed, staged, unstaged or new) that are protected."""
    return [p for p in _changed_paths(checkout, base) if is_protected(p, allow_paths)]


def _changed_paths(checkout: Path, base: str) -> list[str]:
    """Paths changed since ``base``: committed, staged, unstaged or new (not ignored)."""
    changed = _git(checkout, "diff", "--name-only", "-z", "--no-renames", base, "--")
    new = _git(checkout, "ls-files", "--others", "--exclude-standard", "-z")
    return sorted({p for p in (changed + new).split("\0") if p})


def restore_protected(checkout: Path, base: str, allow_paths: Sequence[str] = ()) -> list[str]:
    """Put every protected path changed since ``base`` back; one note per path for the PR."""
    notes = []
    # Deepest paths first: a file under a folder that replaced a protected file goes before
    # that file is restored in the folder's place.
    for path in reversed(protected_changes(checkout, base, allow_paths)):
        _unlink_symlinked_parents(checkout, path)
        target = checkout / path
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # a protected file replaced by a folder
        if _exists_at(checkout, base, path):
            _git(checkout, "checkout", base, "--", path)
            notes.append(f"reverted the change to {path}: agents may not change it")
        else:
            _git(checkout, "rm", "--cached", "--quiet", "--ignore-unmatch", "--", path)
            if target.is_symlink() or target.is_file():
                target.unlink()
            notes.append(f"removed the new file {path}: agents may not add it")
    return notes[::-1]


# Caches an agent's own test runs leave in the checkout; never part of the work.
CACHE_PATTERNS = ("__pycache__/", "*.py[cod]", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/")


def exclude_caches(checkout: Path) -> None:
    """Keep the caches of test runs (``__pycache__``, ``.pytest_cache``...) out of commits."""
    exclude = checkout / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    with exclude.open("a", encoding="utf-8") as handle:
        handle.write("# caches of the agents' test runs\n" + "\n".join(CACHE_PATTERNS) + "\n")


def exclude_untracked(checkout: Path) -> list[str]:
    """Keep what setup left in the checkout (build folders, egg-info) out of every commit.

    Call it after setup and before ``snapshot_git``: the untracked paths are added to
    ``.git/info/exclude``, anchored and escaped, so ``git add --all`` skips them.
    """
    listed = _git(checkout, "ls-files", "--others", "--exclude-standard", "--directory", "-z")
    paths = sorted(p for p in listed.split("\0") if p)
    if paths:
        exclude = checkout / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(f"/{_escape_ignore(path)}\n" for path in paths)
        with exclude.open("a", encoding="utf-8") as handle:
            handle.write("# left by specbot's setup commands\n" + lines)
    return paths


def _escape_ignore(path: str) -> str:
    """A path as a literal gitignore pattern."""
    escaped = "".join(f"\\{char}" if char in "*?[]\\!#" else char for char in path)
    return escaped[:-1] + "\\ " if escaped.endswith(" ") else escaped


@dataclass(frozen=True)
class GitSnapshot:
    """The content of the ``.git`` files git obeys or runs, taken before the agents start."""

    files: dict[str, bytes | None]  # by path relative to .git; None: the file did not exist


def snapshot_git(checkout: Path) -> GitSnapshot:
    """Remember ``.git/config``, ``.git/info/*`` and the hooks as they are now."""
    git_dir = _git_dir(checkout)
    names = [*_GIT_FILES, *(f"hooks/{hook}" for hook in _hooks(git_dir))]
    files = {name: _read_regular(git_dir / name) for name in names}
    return GitSnapshot(files=files)


def restore_git(checkout: Path, snapshot: GitSnapshot) -> list[str]:
    """Undo changes to ``.git`` since ``snapshot``; one note per file put back or removed."""
    git_dir = _git_dir(checkout)
    notes = []
    for folder in ("info", "hooks"):
        # A symlinked folder would send the restore, or git's reads, somewhere else.
        path = git_dir / folder
        if path.is_symlink() or path.is_file():
            path.unlink()
            notes.append(f"removed .git/{folder}, which was replaced by a link or a file")
    for name, content in snapshot.files.items():
        target = git_dir / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            _remove(target)
        elif _read_regular(target) == content:
            continue
        else:
            target.unlink(missing_ok=True)
        if content is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        notes.append(f"restored .git/{name}: agents may not change git's configuration or hooks")
    for hook in sorted(set(_hooks(git_dir)) - {n.removeprefix("hooks/") for n in snapshot.files}):
        _remove(git_dir / "hooks" / hook)
        notes.append(f"removed the git hook .git/hooks/{hook}: agents may not add hooks")
    return notes


def restore_before_commit(
    checkout: Path, base: str, snapshot: GitSnapshot, allow_paths: Sequence[str] = ()
) -> list[str]:
    """``restore_git`` then ``restore_protected``, in that order; the notes of both.

    The order matters: listing changes runs git in the checkout, and git must not find an
    agent's filters or hooks there when it does.
    """
    notes = restore_git(checkout, snapshot)
    notes += restore_protected(checkout, base, allow_paths)
    return notes + drop_escaping_symlinks(checkout, base)


def drop_escaping_symlinks(checkout: Path, base: str) -> list[str]:
    """Leave out every new or changed symlink whose target is absolute or outside the checkout.

    Such a link committed and pushed would point readers' and CI's checkouts at files of the
    machine that cloned it (``/etc/...``, the service's data directory, ``../..``). The path
    goes back to its content at ``base`` if it had any; one note per link for the PR.
    """
    notes = []
    for path in _changed_paths(checkout, base):
        target = checkout / path
        if not target.is_symlink():
            continue
        pointed = os.readlink(target)
        if not _leaves_checkout(path, pointed):
            continue
        target.unlink()
        if _exists_at(checkout, base, path):
            _git(checkout, "checkout", base, "--", path)
        else:
            _git(checkout, "rm", "--cached", "--quiet", "--ignore-unmatch", "--", path)
        notes.append(f"left out the symlink {path} -> {pointed}: it points outside the repository")
    return notes


def _leaves_checkout(path: str, pointed: str) -> bool:
    """Whether a link at ``path`` (relative to the checkout) to ``pointed`` escapes it."""
    if posixpath.isabs(pointed):
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), pointed))
    return joined == ".." or joined.startswith("../")


def _git_dir(checkout: Path) -> Path:
    """The checkout's ``.git`` folder; a link or a ``gitdir:`` file in its place is refused."""
    git_dir = checkout / ".git"
    if git_dir.is_symlink() or not git_dir.is_dir():
        raise GuardError(f"{git_dir} is not the checkout's own .git folder; refusing to commit")
    return git_dir


def _read_regular(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _hooks(git_dir: Path) -> list[str]:
    hooks = git_dir / "hooks"
    if not hooks.is_dir() or hooks.is_symlink():
        return []
    return sorted(p.name for p in hooks.iterdir() if not p.name.endswith(".sample"))


def _unlink_symlinked_parents(checkout: Path, path: str) -> None:
    """A folder replaced by a symlink or a file must not redirect the restore elsewhere."""
    current = checkout
    for part in PurePosixPath(path).parts[:-1]:
        current = current / part
        if current.is_symlink() or current.is_file():
            current.unlink()
            return


def _exists_at(checkout: Path, base: str, path: str) -> bool:
    result = subprocess.run(
        ["git", "-C", str(checkout), "cat-file", "-e", f"{base}:{path}"],  # reads no config hooks
        capture_output=True,
        check=False,
        timeout=60,
    )
    return result.returncode == 0


def _git(checkout: Path, *args: str) -> str:
    # Literal pathspecs: a file named '*.yml' is that file, not a pattern.
    # No hooks or fsmonitor: whatever an agent wrote into .git must not run here.
    safe = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"]
    command = ["git", "--literal-pathspecs", *safe, *args]
    result = subprocess.run(
        command, cwd=checkout, capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise GuardError(f"git {args[0]} failed: {result.stderr.strip()[:500]}")
    return result.stdout
