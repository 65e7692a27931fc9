"""Real git repositories with a base and a head commit, and their diff as GitHub shows it."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from bot.ports import FileDiff

Change = Callable[[Mapping[str, str], Mapping[str, str]], tuple[Path, list[FileDiff]]]
_STATUS = {"A": "added", "M": "modified", "D": "removed"}


def _git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env
    ).stdout


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def pull_files(root: Path, base: str = "HEAD~1", head: str = "HEAD") -> list[FileDiff]:
    """The changed files between two commits, with patches shaped like GitHub's (from ``@@``)."""
    listed = _git(root, "-c", "core.quotePath=false", "diff", "--name-status", "-z", base, head)
    fields = [field for field in listed.split("\0") if field]
    diffs = []
    for status, path in zip(fields[::2], fields[1::2], strict=True):
        full = _git(root, "diff", "--no-color", "-U3", base, head, "--", f":(literal){path}")
        patch = full[full.index("@@") :] if "@@" in full else None
        added = sum(1 for line in (patch or "").splitlines() if line.startswith("+"))
        removed = sum(1 for line in (patch or "").splitlines() if line.startswith("-"))
        diffs.append(
            FileDiff(
                path=path,
                status=_STATUS[status[0]],
                patch=patch,
                additions=added,
                deletions=removed,
            )
        )
    return diffs


@pytest.fixture
def change(tmp_path: Path) -> Change:
    """Commit ``base`` files, then ``head`` files on top; the checkout and its diff."""

    def make(base: Mapping[str, str], head: Mapping[str, str]) -> tuple[Path, list[FileDiff]]:
        root = tmp_path / "checkout"
        root.mkdir()
        _git(root, "init", "-q", "-b", "main")
        _write(root, {"README.md": "# demo\n", **base})
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "base")
        _write(root, head)
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "head")
        return root, pull_files(root)

    return make


@pytest.fixture
def fake_tool(tmp_path: Path) -> Callable[[str, str], str]:
    """Write an executable shell script standing in for an external tool; returns its path."""

    def make(name: str, body: str) -> str:
        directory = tmp_path / "tools"
        directory.mkdir(exist_ok=True)
        script = directory / name
        script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return str(script)

    return make
