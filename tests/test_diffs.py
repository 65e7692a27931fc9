"""Placing review findings on lines GitHub accepts, from real git diffs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.diffs import Hunk, Placement, number_patch, parse_hunks, place, quote_lines

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
    assert parse_hunks(PATCH)[1].text == {
        21: "    a = 1",
        22: "    b = 3",
        23: "    c = 4",
        24: "    return a",
    }


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


def inline(line: int, start: int | None = None, *, moved: bool = False, quoted: bool = False):
    return Placement("app.py", line, start, inline=True, moved=moved, quoted=quoted)


@pytest.mark.parametrize(
    ("line", "end_line", "expected"),
    [
        (2, None, inline(2)),
        (3, 5, inline(5, 3)),
        (5, 3, inline(5, 3)),
    ],
)
def test_lines_shown_in_one_hunk_are_commented_where_given(
    line: int, end_line: int | None, expected: Placement
) -> None:
    assert place("app.py", line, end_line, PATCHES) == expected


@pytest.mark.parametrize(
    ("line", "end_line", "expected"),
    [
        (4, 22, inline(4)),
        (10, 22, inline(22)),
        (9, None, inline(5, moved=True)),
        (18, None, inline(21, moved=True)),
        (400, None, inline(24, moved=True)),
    ],
)
def test_an_unquoted_finding_off_the_diff_is_placed_as_it_always_was(
    line: int, end_line: int | None, expected: Placement
) -> None:
    """The submit_review contract before quotes: a finding without one lands on the end of
    its range a hunk shows, else on the nearest shown line (moved)."""
    assert place("app.py", line, end_line, PATCHES) == expected


@pytest.mark.parametrize("path", ["logo.png", "not/in/diff.py"])
def test_files_without_a_patch_go_to_the_review_body(path: str) -> None:
    """Binary files and files outside the diff are reported in the body, never dropped."""
    placed = place(path, 3, None, PATCHES)
    assert (placed.inline, placed.why_not) == (False, "the file has no diff to comment on")


@pytest.mark.parametrize(
    ("line", "quote", "expected"),
    [
        (2, "import sys", inline(2, quoted=True)),
        (9, "import sys", inline(2, moved=True, quoted=True)),  # miscounted: the quote wins
        (30, "    b = 3\n    c = 4", inline(23, 22, moved=True, quoted=True)),
        (22, "   22 +    b = 3\n   23 +    c = 4\n", inline(23, 22, quoted=True)),  # numbers kept
        (1, "\nimport os\n\n", inline(1, quoted=True)),  # blank lines around are dropped
    ],
)
def test_a_quote_places_the_finding_on_the_lines_it_names(
    line: int, quote: str, expected: Placement
) -> None:
    assert place("app.py", line, None, PATCHES, quote) == expected


@pytest.mark.parametrize(
    "quote",
    [
        "b = 2",  # a removed line: not on the new side
        "import subprocess",  # not in the file at all
        "import os\nimport json",  # the first line matches, the second does not
    ],
)
def test_a_quote_not_in_the_diff_sends_the_finding_to_the_body(quote: str) -> None:
    placed = place("app.py", 2, None, PATCHES, quote)
    assert (placed.inline, placed.why_not) == (False, "the quoted code is not in the diff")


def test_a_quote_of_another_file_does_not_place_a_finding_here() -> None:
    """A forged quote copied from another file of the change matches nothing in this one."""
    patches = {**PATCHES, "other.py": "@@ -0,0 +1,1 @@\n+os.system(cmd)"}
    assert place("other.py", 1, None, patches, "os.system(cmd)").inline
    assert not place("app.py", 1, None, patches, "os.system(cmd)").inline


def test_of_several_matches_the_one_nearest_the_given_line_is_chosen() -> None:
    patch = "@@ -0,0 +1,30 @@\n" + "".join(
        "+    return None\n" if n % 10 == 0 else f"+x{n} = {n}\n" for n in range(1, 31)
    )
    patches = {"m.py": patch}
    assert place("m.py", 19, None, patches, "return None").line == 20
    assert place("m.py", 2, None, patches, "return None").line == 10


def test_numbered_patch_shows_each_new_line_its_number() -> None:
    assert number_patch(PATCH).splitlines() == [
        "@@ -1,4 +1,5 @@",
        "    1  import os",
        "    2 +import sys",
        "    3  ",
        "    4  def main():",
        "    5      pass",
        "@@ -20,3 +21,4 @@ def helper():",
        "   21      a = 1",
        "      -    b = 2",
        "   22 +    b = 3",
        "   23 +    c = 4",
        "   24      return a",
        "\\ No newline at end of file",
    ]


SHOWN = {n: text for hunk in parse_hunks(PATCH) for n, text in hunk.text.items()}


@given(
    line=st.integers(min_value=1, max_value=10_000),
    span=st.integers(0, 50),
    quoted=st.lists(st.sampled_from(sorted(SHOWN)), max_size=3),
    noise=st.text(max_size=20),
)
def test_every_inline_placement_is_in_one_hunk_and_on_the_quoted_code(
    line: int, span: int, quoted: list[int], noise: str
) -> None:
    """Whatever line, span and quote a model gives: an inline comment sits inside one hunk, and
    when it is placed by a quote, its lines hold exactly that code."""
    quote = "\n".join(SHOWN[n] for n in quoted) + noise
    result = place("app.py", line, line + span if span else None, PATCHES, quote or None)
    if not result.inline:
        assert result.why_not
        return
    hunks = parse_hunks(PATCH)
    owner = [h for h in hunks if h.contains(result.line)]
    assert owner
    first = result.start_line if result.start_line is not None else result.line
    assert owner[0].contains(first) and first <= result.line
    if result.quoted:
        placed = [SHOWN[n].strip() for n in range(first, result.line + 1)]
        assert placed == quote_lines(quote)
