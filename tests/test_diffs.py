"""Placing review findings on lines GitHub accepts, from real git diffs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.diffs import Hunk, Placement, parse_hunks, place

PATCH = "\n".join(
    [
        "@@ -1,4 +1,5 @@",
        " import os",
        "+import sys",
        " ",  # a blank context line is one space
        " def main():",
        "     pass",
        "@@ -20,3 +21,4 @@ def helper():",
        "     a = 1",
        "-    b = 2",
        "+    b = 3",
        "+    c = 4",
        "     return a",
        "\\ No newline at end of file",
    ]
)


def test_hunks_of_a_patch() -> None:
    """New-side ranges and added lines are read from hunk headers and line prefixes."""
    assert parse_hunks(PATCH) == [
        Hunk(start=1, end=5, added=frozenset({2})),
        Hunk(start=21, end=24, added=frozenset({22, 23})),
    ]


@pytest.mark.parametrize("patch", [None, "", "Binary files differ", "not a diff\n+x"])
def test_no_hunks(patch: str | None) -> None:
    """A missing, binary or preamble-only patch has no hunks."""
    assert parse_hunks(patch) == []


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def test_hunks_from_a_real_git_diff(tmp_path: Path) -> None:
    """Hunks parsed from ``git diff`` cover exactly the lines git shows on the new side."""
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "t")
    source = tmp_path / "mod.py"
    source.write_text("".join(f"line {n}\n" for n in range(1, 41)))
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    lines = source.read_text().splitlines()
    lines[4] = "changed 5"
    lines.insert(30, "inserted after 30")
    source.write_text("\n".join(lines) + "\n")
    patch = _git(tmp_path, "diff", "-U3", "--", "mod.py").split("\n", 4)[4]
    hunks = parse_hunks(patch)
    assert [(h.start, h.end, sorted(h.added)) for h in hunks] == [(2, 8, [5]), (28, 34, [31])]


PATCHES = {"app.py": PATCH, "logo.png": None}


@pytest.mark.parametrize(
    ("line", "end_line", "expected"),
    [
        (2, None, Placement("app.py", 2, None, inline=True, moved=False)),
        (3, 5, Placement("app.py", 5, 3, inline=True, moved=False)),
        (5, 3, Placement("app.py", 5, 3, inline=True, moved=False)),
        (4, 22, Placement("app.py", 4, None, inline=True, moved=False)),
        (10, 22, Placement("app.py", 22, None, inline=True, moved=False)),
        (9, None, Placement("app.py", 5, None, inline=True, moved=True)),
        (18, None, Placement("app.py", 21, None, inline=True, moved=True)),
        (400, None, Placement("app.py", 24, None, inline=True, moved=True)),
    ],
)
def test_place_in_or_near_a_hunk(line: int, end_line: int | None, expected: Placement) -> None:
    """Findings land on their lines when shown, else on the nearest shown line."""
    assert place("app.py", line, end_line, PATCHES) == expected


@pytest.mark.parametrize("path", ["logo.png", "not/in/diff.py"])
def test_files_without_a_patch_go_to_the_review_body(path: str) -> None:
    """Binary files and files outside the diff are reported in the body, never dropped."""
    assert place(path, 3, None, PATCHES) == Placement(path, 3, None, inline=False, moved=False)


@given(line=st.integers(min_value=1, max_value=10_000), span=st.integers(0, 50))
def test_inline_placements_are_always_inside_a_hunk(line: int, span: int) -> None:
    """Every inline placement is a line some hunk shows, with its start in the same hunk."""
    result = place("app.py", line, line + span if span else None, PATCHES)
    hunks = parse_hunks(PATCH)
    assert result.inline
    owner = [h for h in hunks if h.contains(result.line)]
    assert owner
    if result.start_line is not None:
        assert owner[0].contains(result.start_line)
        assert result.start_line < result.line
