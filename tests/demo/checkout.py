"""A real git checkout of the demo repository, and its own test suite run in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.evidence import TestRun, parse_junit
from bot.ports import FileDiff

BASE = "main"
IDENTITY = ("-c", "user.name=Demo Tester", "-c", "user.email=demo@example.invalid")


def git(checkout: Path, *args: str) -> str:
    """Run git in ``checkout``; fail the test with git's own message when it fails."""
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=checkout, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def seed_checkout(source: Path, checkout: Path) -> Path:
    """Copy ``source`` to ``checkout`` and commit it as the first commit of ``main``."""
    shutil.copytree(source, checkout)
    git(checkout, "init", "-q", "-b", BASE)
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "Initial commit")
    return checkout


def commit_all(checkout: Path, message: str) -> None:
    """Commit every change of the working tree (what specbot does after an agent's round)."""
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", message)


@contextmanager
def worktree_at(checkout: Path, revision: str, path: Path) -> Iterator[Path]:
    """A detached worktree of ``checkout`` at ``revision`` in ``path``, removed afterwards."""
    git(checkout, "worktree", "add", "-q", "--detach", str(path), revision)
    try:
        yield path
    finally:
        git(checkout, "worktree", "remove", "--force", str(path))


def file_patches(checkout: Path, base: str = BASE) -> dict[str, str]:
    """Each changed file's unified-diff patch against ``base``, as GitHub's ``files[].patch``."""
    names = git(checkout, "diff", "--name-only", f"{base}...HEAD").split()
    return {name: git(checkout, "diff", f"{base}...HEAD", "--", name) for name in names}


def file_diffs(checkout: Path, base: str = BASE) -> list[FileDiff]:
    """The changed files against ``base`` as a pull request lists them (status, patch, counts)."""
    statuses = {"A": "added", "M": "modified", "D": "removed"}
    diffs = []
    for row in git(checkout, "diff", "--name-status", f"{base}...HEAD").splitlines():
        letter, path = row.split("\t", 1)
        patch = git(checkout, "diff", f"{base}...HEAD", "--", path)
        body = patch.split("\n@@", 1)[-1].splitlines()
        diffs.append(
            FileDiff(
                path=path,
                status=statuses.get(letter[0], "modified"),
                patch=patch,
                additions=sum(1 for line in body if line.startswith("+")),
                deletions=sum(1 for line in body if line.startswith("-")),
            )
        )
    return diffs


def shell_env() -> dict[str, str]:
    """The agent shell's base environment: this interpreter's directory first on PATH."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run_suite(checkout: Path, report: Path) -> tuple[subprocess.CompletedProcess[str], TestRun]:
    """Run the checkout's own pytest suite with a JUnit report; the process and the parsed run."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return done, parse_junit(report.read_bytes())
