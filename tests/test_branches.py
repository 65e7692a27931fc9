"""Branch names for issues."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.branches import (
    has_run_trailer,
    is_specbot_branch,
    issue_branch,
    issue_branch_prefix,
    issue_of_branch,
    slugify,
)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Export orders as CSV", "export-orders-as-csv"),
        ("  Añadir exportación: ¡CSV!  ", "anadir-exportacion-csv"),
        (
            "[Spec] /api/v2/orders returns 500 on empty cart",
            "spec-api-v2-orders-returns-500-on-empty",
        ),
        ("日本語のタイトル", ""),
        ("", ""),
        (None, ""),
        ("a" * 60, "a" * 40),
    ],
)
def test_slugify(title: str | None, slug: str) -> None:
    """Titles become short ASCII slugs cut at a word boundary."""
    assert slugify(title) == slug


def test_issue_branch_and_back() -> None:
    """The branch names its issue, and the issue number is read back from it."""
    branch = issue_branch(42, "Export orders as CSV")
    assert branch == "specbot/issue-42-export-orders-as-csv"
    assert branch.startswith(issue_branch_prefix(42))
    assert issue_of_branch(branch) == 42
    assert issue_of_branch(f"refs/heads/{branch}") == 42
    assert is_specbot_branch(f"refs/heads/{branch}")


def test_title_without_ascii_still_gets_a_branch() -> None:
    """An issue titled only in other scripts gets a generic slug."""
    assert issue_branch(7, "日本語") == "specbot/issue-7-spec"


@pytest.mark.parametrize(
    "ref", ["main", "feature/specbot/x", "specbotx/issue-1-a", "specbot/issue-x-1"]
)
def test_other_branches(ref: str) -> None:
    """Branches specbot did not create are recognised as such."""
    assert issue_of_branch(ref) is None
    assert is_specbot_branch(ref) == ref.startswith("specbot/")


@given(title=st.text(max_size=200), number=st.integers(min_value=1, max_value=10**9))
def test_every_branch_is_a_valid_git_ref(title: str, number: int) -> None:
    """Whatever the title, git accepts the branch name."""
    branch = issue_branch(number, title)
    result = subprocess.run(
        ["git", "check-ref-format", "--branch", branch], capture_output=True, check=False
    )
    assert result.returncode == 0, branch
    assert issue_of_branch(branch) == number


def test_the_run_trailer_counts_only_as_a_trailer() -> None:
    """The trailer in the last paragraph is specbot's mark; quoted in the body, without a run
    id, or in another key it is not."""
    assert has_run_trailer("Add x (#1)\n\nDone.\n\nRefs #1\nSpecbot-Run: spec:acme/w#1:ab12")
    assert has_run_trailer("Follow-up round 1 on #2\n\nFixed.\n\nSpecbot-Run: follow-up:x\n")
    assert not has_run_trailer("Add x\n\nSpecbot-Run: spec:1 is quoted here\n\nSigned-off-by: m")
    assert not has_run_trailer("Add x\n\nSpecbot-Run:")
    assert not has_run_trailer("Add x\n\nX-Specbot-Run: spec:1")
    assert not has_run_trailer("Add x\n\nNot-Specbot-Run: spec:1")
    assert not has_run_trailer("")
