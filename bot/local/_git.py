"""Git on the user's own repository, read-only apart from one new branch at the end.

A local run never works in the user's checkout: it clones the repository (``--shared``, so the
clone costs seconds and no copy of the history) into a folder of its own, where agents work,
and fetches the finished branch back. The clone has its own ``.git`` folder, so the guard can
put back what an agent changed there, and git never runs the user's hooks in it.
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

from bot.ports import FileDiff, GitIdentity

_GIT_TIMEOUT = 300.0
_STATUS_NAMES = {
    "A": "added",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "changed",
}
_HUNK_START = re.compile(r"^@@ ", re.MULTILINE)


class LocalGitError(Exception):
    """A git command on a local repository failed; the message says which and why."""


def git(repo: Path, *args: str, check: bool = True, timeout: float = _GIT_TIMEOUT) -> str:
    """Run ``git -C repo args`` without prompts; its standard output, or ``LocalGitError``."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise LocalGitError("git is not installed (no 'git' on PATH)") from None
    except subprocess.TimeoutExpired:
        raise LocalGitError(f"git {args[0]} took longer than {timeout:g} s") from None
    if check and done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        reason = detail[-1] if detail else f"exit {done.returncode}"
        raise LocalGitError(f"git {args[0]} failed: {reason}")
    return done.stdout


def repository_root(path: Path) -> Path:
    """The top folder of the git checkout at ``path``, or ``LocalGitError`` if there is none."""
    if not path.is_dir():
        raise LocalGitError(f"{path}: no such folder")
    try:
        top = git(path, "rev-parse", "--show-toplevel").strip()
    except LocalGitError:
        raise LocalGitError(f"{path}: not a git repository (or any of its parents)") from None
    if not top:
        raise LocalGitError(f"{path}: a bare repository; give the path of a checkout")
    return Path(top)


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit sha ``ref`` names in ``repo``, or ``LocalGitError`` naming the ref."""
    if ref.startswith("-"):
        raise LocalGitError(f"{ref!r} is not a git reference")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except LocalGitError:
        raise LocalGitError(f"{ref!r} is not a commit in {repo}") from None


def branch_exists(repo: Path, branch: str) -> bool:
    """Whether ``refs/heads/<branch>`` exists in ``repo``."""
    out = git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
    return bool(out.strip())


def check_branch_name(repo: Path, branch: str) -> None:
    """``LocalGitError`` unless ``branch`` is a valid new branch name."""
    done = git(repo, "check-ref-format", "--branch", branch, check=False)
    if not done.strip() or branch.startswith("-"):
        raise LocalGitError(f"{branch!r} is not a valid branch name")


def free_branch(repo: Path, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... : the first name no branch has yet."""
    name, suffix = wanted, 1
    while branch_exists(repo, name):
        suffix += 1
        name = f"{wanted}-{suffix}"
    return name


def has_uncommitted_changes(repo: Path) -> bool:
    """Whether the checkout has staged, unstaged or untracked changes."""
    return bool(git(repo, "status", "--porcelain", "--untracked-files=normal").strip())


def identity(repo: Path) -> GitIdentity:
    """Who authors the run's commit: the user's git identity marked as specbot's, or specbot."""
    name = git(repo, "config", "user.name", check=False).strip()
    email = git(repo, "config", "user.email", check=False).strip()
    if name and email:
        return GitIdentity(name=f"{name} (specbot)", email=email)
    return GitIdentity(name="specbot", email="specbot@localhost")


def clone_for_run(repo: Path, base_sha: str, branch: str, dest: Path) -> Path:
    """A private checkout of ``base_sha`` on a new ``branch`` in ``dest``, with no remote.

    Without a remote, nothing an agent runs in the checkout can push into the user's
    repository; the objects are shared read-only through git's alternates.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    # No template: hooks from the user's init.templateDir must not run in the checkout.
    clone = ("clone", "--quiet", "--template=", "--shared", "--no-checkout", str(repo), str(dest))
    git(dest.parent, *clone)
    git(dest, "checkout", "--quiet", "-b", branch, base_sha)
    git(dest, "remote", "remove", "origin")
    return dest


def publish_branch(repo: Path, checkout: Path, branch: str) -> None:
    """Create ``branch`` in the user's ``repo`` from the checkout's branch (never overwritten)."""
    if branch_exists(repo, branch):
        raise LocalGitError(f"branch {branch} appeared in {repo} during the run; not overwritten")
    # Hooks of the checkout were put back by the guard; upload-pack runs none of them anyway.
    git(
        repo,
        "fetch",
        "--quiet",
        "--no-tags",
        str(checkout),
        f"refs/heads/{branch}:refs/heads/{branch}",
    )


def changed_paths(checkout: Path, base_sha: str) -> list[str]:
    """Paths the checkout's HEAD changed since ``base_sha``."""
    out = git(checkout, "diff", "--name-only", "-z", "--no-renames", base_sha, "HEAD")
    return [path for path in out.split("\0") if path]


def local_diff(repo: Path, base: str, head: str) -> list[FileDiff]:
    """``git diff base...head`` as GitHub lists a pull request's files: one ``FileDiff`` each.

    Three listings with the same options come out in the same file order, so each file's
    status, counts and patch are matched by position, never by parsing quoted paths.
    """
    spec = f"{base}...{head}"
    common = ("--no-color", "--no-ext-diff", "--find-renames", "--no-textconv", spec)
    statuses = _name_status(git(repo, "diff", "--name-status", "-z", *common))
    counts = _numstat(git(repo, "diff", "--numstat", "-z", *common))
    patches = _split_patches(git(repo, "diff", "--patch", "--unified=3", *common))
    if not len(statuses) == len(counts) == len(patches):
        raise LocalGitError("git diff listed the changed files inconsistently; try again")
    files = []
    for (status, path), (additions, deletions), patch in zip(
        statuses, counts, patches, strict=True
    ):
        files.append(
            FileDiff(
                path=path,
                status=status,
                patch=_hunks_only(patch) if additions is not None else None,
                additions=additions or 0,
                deletions=deletions or 0,
            )
        )
    return files


def _name_status(out: str) -> list[tuple[str, str]]:
    fields = out.split("\0")
    entries: list[tuple[str, str]] = []
    index = 0
    while index < len(fields) and fields[index]:
        code = fields[index][:1]
        paired = code in ("R", "C")
        path = fields[index + 2] if paired else fields[index + 1]
        entries.append((_STATUS_NAMES.get(code, "modified"), path))
        index += 3 if paired else 2
    return entries


def _numstat(out: str) -> list[tuple[int | None, int | None]]:
    fields = out.split("\0")
    entries: list[tuple[int | None, int | None]] = []
    index = 0
    while index < len(fields) and fields[index]:
        added, deleted, path = fields[index].split("\t", 2)
        binary = added == "-"
        entries.append((None, None) if binary else (int(added), int(deleted)))
        index += 3 if path == "" else 1  # a rename: the two paths follow, NUL-separated
    return entries


def _split_patches(out: str) -> list[str]:
    sections = re.split(r"^(?=diff --git )", out, flags=re.MULTILINE)
    return [section for section in sections if section.startswith("diff --git ")]


def _hunks_only(section: str) -> str | None:
    """The hunks of one file's section, without its headers (GitHub's ``patch`` field)."""
    start = _HUNK_START.search(section)
    return section[start.start() :].rstrip("\n") if start else None


def export_tree(repo: Path, commit: str, dest: Path) -> Path:
    """The files of ``commit`` extracted into ``dest`` (no ``.git``; ``repo`` is not changed)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as archive:
        done = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", commit],
            stdout=archive,
            stderr=subprocess.PIPE,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            raise LocalGitError(f"git archive failed: {reason}")
        archive.seek(0)
        with tarfile.open(fileobj=archive, mode="r:") as tar:
            # Files and folders only: a link in the repository could point out of ``dest``.
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
                tar.extractall(dest, members=members, filter="data")
            else:
                tar.extractall(dest, members=members)
    return dest


def read_at(repo: Path, commit: str, path: str) -> str | None:
    """The text of ``path`` at ``commit``, or None when the commit has no such file."""
    if not git(repo, "ls-tree", "--name-only", commit, "--", path).strip():
        return None
    return git(repo, "show", f"{commit}:{path}")
