"""grep and glob for planners and reviewers: they find what is in the checkout and nothing
outside it, whatever path, pattern or symlink a hostile model or repository brings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.agents import build_toolbox, load_role
from bot.agents.tools import GlobTool, GrepTool, Workspace


@pytest.fixture
def checkout(tmp_path: Path) -> Workspace:
    root = tmp_path / "checkout"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "calc.py").write_text("def add(a, b):\n    return a + b\n\nSECRET_NAME = 1\n")
    (root / "pkg" / "test_calc.py").write_text("from pkg.calc import add\n")
    (root / "README.md").write_text("# Calc\nadd numbers\n")
    (root / "logo.png").write_bytes(b"\x89PNG\0\0add\0")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote]\nurl = https://token@example.com/add\n")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("run: add\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0 add\n")
    os.symlink(outside, root / "escape")  # a directory link out of the checkout
    os.symlink(outside / "passwd", root / "pkg" / "linked.py")  # a file link out of it
    return Workspace(root)


def grep(workspace: Workspace, **tool_input: object) -> str:
    return GrepTool(workspace).run(dict(tool_input)).content


def test_grep_finds_lines_with_paths_and_numbers(checkout: Workspace):
    assert grep(checkout, pattern=r"def add\(") == "pkg/calc.py:1: def add(a, b):"
    assert (
        grep(checkout, pattern="ADD", ignore_case=True, glob="*.md") == "README.md:2: add numbers"
    )
    assert grep(checkout, pattern="add", path="pkg/test_calc.py") == (
        "pkg/test_calc.py:1: from pkg.calc import add"
    )


def test_grep_never_reads_outside_the_checkout_or_its_denied_paths(checkout: Workspace):
    everything = grep(checkout, pattern="add|root|token")
    assert "passwd" not in everything and "root:x" not in everything  # symlinks not followed
    assert ".git" not in everything and "token@" not in everything
    assert ".github/workflows" not in everything
    assert "logo.png" not in everything  # binary
    for path in ("../outside", "/etc", "escape", ".git", "pkg/../../outside"):
        result = GrepTool(checkout).run({"pattern": "root", "path": path})
        assert result.is_error, path
        assert "root:x" not in result.content


def test_grep_refuses_bad_patterns_with_a_clear_error(checkout: Workspace):
    result = GrepTool(checkout).run({"pattern": "(unclosed"})
    assert result.is_error and result.content.startswith("Error: invalid regular expression")
    assert GrepTool(checkout).run({"pattern": "x" * 501}).is_error
    assert GrepTool(checkout).run({}).content == "Error: pattern is required"


def test_grep_output_is_capped_and_says_so(tmp_path: Path):
    (tmp_path / "big.txt").write_text("hit\n" * 1_000)
    out = grep(Workspace(tmp_path), pattern="hit")
    lines = out.splitlines()
    assert len(lines) == 201
    assert lines[-1] == "<more matches not shown: the first 200 are>"


def test_glob_lists_matching_files_inside_the_checkout_only(checkout: Workspace):
    glob = GlobTool(checkout)
    assert glob.run({"pattern": "*.py"}).content == "pkg/calc.py\npkg/test_calc.py"
    assert glob.run({"pattern": "**/test_*.py"}).content == "pkg/test_calc.py"
    assert glob.run({"pattern": "*"}).content.splitlines() == [
        "README.md",
        "logo.png",
        "pkg/calc.py",
        "pkg/test_calc.py",
    ]
    assert glob.run({"pattern": "*", "path": "/"}).is_error
    assert glob.run({"pattern": "*.nothing"}).content == "(no files match)"


def test_reviewers_and_the_planner_are_offered_search_and_the_implementer_is_not(
    checkout: Workspace,
):
    for role in ("planner", "security", "style"):
        with build_toolbox(load_role(role), checkout) as toolbox:
            names = {d["name"] for d in toolbox.definitions()}
        assert {"grep", "glob"} <= names, role
    with build_toolbox(load_role("implementer"), checkout) as toolbox:
        assert not {"grep", "glob"} & {d["name"] for d in toolbox.definitions()}
