"""Git on disk through GitPython: a cached mirror per repository, one checkout per run.

Credentials never touch disk or a remote URL: they travel to ``git`` as an ``Authorization``
header in ``GIT_CONFIG_*`` environment variables of that one command, so a checkout handed to
an agent has a plain ``origin`` and nothing in ``.git/config`` to steal.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Mapping
from pathlib import Path

from git import Actor, Repo
from git.exc import GitCommandError

from bot.ports import GitIdentity


class GitError(Exception):
    """A git operation failed; the message names the operation, never a credential."""


def _auth_env(credentials: tuple[str, str] | None) -> dict[str, str]:
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    if credentials is None:
        return env
    user, password = credentials
    basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return env | {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


def _run(repo: Repo, env: Mapping[str, str], what: str, *args: str) -> str:
    try:
        with repo.git.custom_environment(**env):
            return str(repo.git.execute(["git", *args]))
    except GitCommandError as exc:
        # GitCommandError's text includes the command line, never our environment.
        raise GitError(f"git {what} failed (exit {exc.status}): {exc.stderr.strip()}") from None


class GitWorkspaces:
    """Mirrors under ``cache_dir/mirrors`` and run checkouts under ``cache_dir/runs``."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def _mirror_path(self, full_name: str) -> Path:
        owner, name = full_name.split("/", 1)
        return self.cache_dir / "mirrors" / owner / f"{name}.git"

    def refresh_mirror(
        self, full_name: str, clone_url: str, credentials: tuple[str, str] | None
    ) -> Path:
        """Create or update the bare mirror of ``full_name``; returns its path."""
        path = self._mirror_path(full_name)
        env = _auth_env(credentials)
        if not (path / "HEAD").exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(path, ignore_errors=True)
            mirror = Repo.init(path, bare=True)
            _run(mirror, env, "remote add", "remote", "add", "--mirror=fetch", "origin", clone_url)
        mirror = Repo(path)
        _run(mirror, env, "fetch", "fetch", "--prune", "--quiet", "origin")
        return path

    def checkout(
        self, full_name: str, run_key: str, branch: str, base_ref: str, clone_url: str
    ) -> Path:
        """A fresh checkout of ``branch`` (from the mirror; created from ``base_ref`` if new).

        ``branch`` may also be a full ref of the mirror, such as ``refs/pull/7/head`` (where a
        pull request from a fork keeps its commits). The checkout shares the mirror's objects
        (``clone --shared``) so it costs seconds even for a large repository, and its
        ``origin`` is the public clone URL, without a token.
        """
        mirror = self._mirror_path(full_name)
        dest = self.cache_dir / "runs" / run_key.replace("/", "_").replace(":", "_")
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        repo = Repo.clone_from(str(mirror), str(dest), shared=True, no_checkout=True)
        env = _auth_env(None)
        if branch.startswith("refs/"):
            local = branch.removeprefix("refs/")
            _run(repo, env, "fetch", "fetch", "--quiet", "origin", f"+{branch}:refs/heads/{local}")
            _run(repo, env, "checkout", "checkout", "-q", local)
        else:
            listed = _run(repo, env, "branch", "branch", "-r", "--list", f"origin/{branch}")
            start = f"origin/{branch}" if listed.strip() else f"origin/{base_ref}"
            _run(repo, env, "checkout", "checkout", "-q", "-B", branch, start)
        _run(repo, env, "remote set-url", "remote", "set-url", "origin", clone_url)
        return dest

    def commit_all(self, checkout: Path, message: str, author: GitIdentity) -> str | None:
        """Commit every change in ``checkout``; returns the new sha, None if nothing changed."""
        repo = Repo(checkout)
        repo.git.add("--all")
        if not repo.is_dirty(index=True, working_tree=False, untracked_files=False):
            return None
        actor = Actor(author.name, author.email)
        # Hooks in the checkout's .git were possibly written by an agent: never run them.
        commit = repo.index.commit(message, author=actor, committer=actor, skip_hooks=True)
        return commit.hexsha

    def push(
        self, checkout: Path, branch: str, credentials: tuple[str, str] | None, force: bool = False
    ) -> str:
        """Push ``branch`` to ``origin``; returns the pushed sha."""
        repo = Repo(checkout)
        args = ["push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"]
        if force:
            args.insert(1, "--force-with-lease")
        _run(repo, _auth_env(credentials), "push", *args)
        return repo.head.commit.hexsha

    def diff(self, checkout: Path, base_ref: str) -> str:
        """The unified diff of the checkout's HEAD against ``origin/<base_ref>``."""
        repo = Repo(checkout)
        return _run(repo, _auth_env(None), "diff", "diff", f"origin/{base_ref}...HEAD")

    def staged_patch(self, checkout: Path) -> str:
        """Every change in ``checkout`` (new files too) as one binary-safe patch."""
        repo = Repo(checkout)
        env = _auth_env(None)
        _run(repo, env, "add", "add", "--all")
        return _run(
            repo, env, "diff", "diff", "--cached", "--binary", "--no-color", "--no-ext-diff"
        )

    def apply_patch(self, checkout: Path, patch: str) -> None:
        """Apply a ``staged_patch`` to ``checkout`` (working tree and index)."""
        if not patch.strip():
            return
        repo = Repo(checkout)
        patch_file = checkout.parent / f".{checkout.name}.patch"
        patch_file.write_text(patch if patch.endswith("\n") else patch + "\n", encoding="utf-8")
        try:
            _run(repo, _auth_env(None), "apply", "apply", "--index", "--binary", str(patch_file))
        finally:
            patch_file.unlink(missing_ok=True)

    def head_sha(self, checkout: Path) -> str:
        """The commit the checkout's HEAD points at."""
        return Repo(checkout).head.commit.hexsha

    def log_messages(self, checkout: Path, base_ref: str) -> list[str]:
        """Messages of the commits on HEAD that ``origin/<base_ref>`` does not have."""
        repo = Repo(checkout)
        out = _run(
            repo, _auth_env(None), "log", "log", "--format=%B%x00", f"origin/{base_ref}..HEAD"
        )
        return [message.strip() for message in out.split("\0") if message.strip()]

    def remove(self, checkout: Path) -> None:
        """Delete a run's checkout (the mirror stays for the next run)."""
        if checkout.is_relative_to(self.cache_dir / "runs"):
            shutil.rmtree(checkout, ignore_errors=True)
