"""The text editor tool: view, create, str_replace and insert, strictly inside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.agents.tools import TextEditorTool, ToolError, Workspace


def run(tool: TextEditorTool, **tool_input):
    return tool.run(tool_input)


def test_view_numbers_lines_and_honours_view_range(workspace: Workspace):
    """A file is shown with line numbers; view_range [2, -1] starts at line 2."""
    editor = TextEditorTool(workspace)
    whole = run(editor, command="view", path="pkg/calc.py")
    assert not whole.is_error
    assert whole.content == "     1\tdef add(a, b):\n     2\t    return a + b\n     3\t"
    part = run(editor, command="view", path="pkg/calc.py", view_range=[2, 2])
    assert part.content == "     2\t    return a + b"
    bad = run(editor, command="view", path="pkg/calc.py", view_range=[5, 9])
    assert bad.is_error and "outside the file's lines 1..3" in bad.content


def test_view_of_a_directory_lists_two_levels_without_hidden_or_denied(workspace: Workspace):
    """Listing the root shows files two levels deep, never .git or .github."""
    listing = run(TextEditorTool(workspace), command="view", path=".")
    lines = listing.content.splitlines()
    assert lines[1:] == ["README.md", "pkg/", "pkg/__init__.py", "pkg/calc.py"]


def test_create_writes_new_files_and_parent_directories(workspace: Workspace):
    """create makes the file (and its folders) with exactly the given text."""
    result = run(
        TextEditorTool(workspace), command="create", path="docs/new/guide.md", file_text="# Guide\n"
    )
    assert result.content == "File created: docs/new/guide.md"
    assert (workspace.root / "docs/new/guide.md").read_text() == "# Guide\n"


def test_str_replace_needs_exactly_one_match(workspace: Workspace):
    """No match and several matches are errors that say so; one match is replaced."""
    editor = TextEditorTool(workspace)
    (workspace.root / "twice.txt").write_text("x = 1\nx = 1\n")
    none = run(editor, command="str_replace", path="pkg/calc.py", old_str="minus", new_str="")
    assert none.is_error and "no match for old_str" in none.content
    many = run(editor, command="str_replace", path="twice.txt", old_str="x = 1", new_str="y")
    assert many.is_error and "occurs 2 times" in many.content and "lines 1, 2" in many.content
    assert (workspace.root / "twice.txt").read_text() == "x = 1\nx = 1\n"
    one = run(
        editor, command="str_replace", path="pkg/calc.py", old_str="a + b", new_str="a + b  # sum"
    )
    assert not one.is_error
    assert (
        workspace.root / "pkg/calc.py"
    ).read_text() == "def add(a, b):\n    return a + b  # sum\n"


def test_insert_puts_lines_after_the_given_line(workspace: Workspace):
    """insert_line 0 is the top; insert_line 1 goes after the first line."""
    editor = TextEditorTool(workspace)
    run(editor, command="insert", path="pkg/calc.py", insert_line=0, insert_text='"""Calc."""\n')
    run(editor, command="insert", path="pkg/calc.py", insert_line=1, insert_text="\n")
    assert (workspace.root / "pkg/calc.py").read_text() == (
        '"""Calc."""\n\ndef add(a, b):\n    return a + b\n'
    )
    out_of_range = run(
        editor, command="insert", path="pkg/calc.py", insert_line=99, insert_text="x"
    )
    assert out_of_range.is_error and "outside 0..5" in out_of_range.content


def test_read_only_editor_refuses_changes(workspace: Workspace):
    """A reviewer's viewer can view but not create, replace or insert."""
    viewer = TextEditorTool(workspace, read_only=True)
    assert not run(viewer, command="view", path="README.md").is_error
    refused = run(viewer, command="create", path="x.txt", file_text="x")
    assert refused.is_error and "may only view" in refused.content
    assert not (workspace.root / "x.txt").exists()


def test_unknown_command_and_missing_arguments_are_clear_errors(workspace: Workspace):
    """Malformed calls explain what is expected."""
    editor = TextEditorTool(workspace)
    assert "unknown command 'undo_edit'" in run(editor, command="undo_edit", path="x").content
    assert "old_str is required" in run(editor, command="str_replace", path="README.md").content
    binary = workspace.root / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not a UTF-8 text file" in run(editor, command="view", path="blob.bin").content


def traversal_corpus(root: Path, outside: Path) -> list[str]:
    return [
        "../outside.txt",
        "pkg/../../outside.txt",
        "./../outside.txt",
        str(outside / "outside.txt"),
        "/etc/passwd",
        "escape-link/outside.txt",
        "file-link",
        "pkg\x00.py",
        "a" * 300,
        "d/" * 600,
        ".git/config",
        ".GIT/config",
        ".github/workflows/ci.yml",
        str(root / ".git" / "config"),
    ]


def test_traversal_corpus_is_refused_with_a_clear_tool_error(workspace: Workspace, tmp_path: Path):
    """Every path leaving the checkout or entering a denied path is refused, for every command,
    and nothing outside changes."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "outside.txt").write_text("secret outside\n")
    os.symlink(outside, workspace.root / "escape-link")
    os.symlink(outside / "outside.txt", workspace.root / "file-link")
    editor = TextEditorTool(workspace)
    for path in traversal_corpus(workspace.root, outside):
        for tool_input in (
            {"command": "view", "path": path},
            {"command": "create", "path": path, "file_text": "pwned"},
            {"command": "str_replace", "path": path, "old_str": "secret", "new_str": "pwned"},
            {"command": "insert", "path": path, "insert_line": 0, "insert_text": "pwned"},
        ):
            result = editor.run(tool_input)
            assert result.is_error, (path, tool_input["command"], result.content)
            assert result.content.startswith("Error: "), result.content
            assert any(
                reason in result.content
                for reason in (
                    "outside the workspace",
                    "'..'",
                    "NUL byte",
                    "too long",
                    "longer than",
                    "denied by configuration",
                )
            ), result.content
    assert (outside / "outside.txt").read_text() == "secret outside\n"
    assert (workspace.root / ".git" / "config").read_text() == "[core]\n"


def test_absolute_paths_inside_the_checkout_are_accepted(workspace: Workspace):
    """The editor's usual absolute paths work when they point into the checkout."""
    result = run(TextEditorTool(workspace), command="view", path=str(workspace.root / "README.md"))
    assert not result.is_error and "# Widgets" in result.content


def test_denied_paths_come_from_configuration(tmp_path: Path):
    """A workspace configured with other denied paths refuses those and allows .git."""
    root = tmp_path / "repo"
    (root / "secrets").mkdir(parents=True)
    (root / "secrets" / "k.txt").write_text("k")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    editor = TextEditorTool(Workspace(root, denied=["secrets/"]))
    assert (
        "denied by configuration (secrets/)"
        in run(editor, command="view", path="secrets/k.txt").content
    )
    assert not run(editor, command="view", path=".git/HEAD").is_error


@pytest.mark.parametrize("loop_target", ["loop-b"])
def test_symlink_loops_are_refused(workspace: Workspace, loop_target: str):
    """A symlink loop is an error, not a hang or a crash."""
    os.symlink(workspace.root / loop_target, workspace.root / "loop-a")
    os.symlink(workspace.root / "loop-a", workspace.root / loop_target)
    result = run(TextEditorTool(workspace), command="view", path="loop-a")
    assert result.is_error


def test_write_failures_are_tool_errors_not_crashes(workspace: Workspace):
    """Creating a file under a path that is a file reports the OS reason as a tool error."""
    result = run(
        TextEditorTool(workspace), command="create", path="README.md/child.txt", file_text="x"
    )
    assert result.is_error
    assert result.content.startswith("Error: ")


SEGMENTS = [
    "..",
    ".",
    "",
    "a",
    "b",
    ".git",
    ".github",
    "workflows",
    "out",
    "in",
    "~",
    "\x00",
    "a\x00b",
    "/",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=8), absolute=st.booleans())
def test_no_path_resolves_outside_the_checkout_or_into_a_denied_path(
    workspace: Workspace, parts, absolute
):
    """Any combination of segments either fails with ToolError or lands inside, not denied."""
    root = workspace.root
    if not (root / "out").exists():
        os.symlink("/", root / "out")  # a symlink leading out of the checkout
        os.symlink(root / "pkg", root / "in")  # a symlink staying inside
    path = "/".join(parts)
    if absolute:
        path = str(root) + "/" + path
    try:
        resolved = workspace.resolve(path)
    except ToolError:
        return
    assert resolved.is_relative_to(root)
    assert not workspace.is_denied(resolved.relative_to(root))
