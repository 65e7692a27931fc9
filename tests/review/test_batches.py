"""Splitting a pull request over the review budget: whole files, by risk, nothing lost."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ports import FileDiff
from bot.review import (
    CHARS_PER_TOKEN,
    NO_PATCH,
    FileKind,
    estimate_tokens,
    file_kind,
    render_batch,
    render_file,
    split_for_review,
)


def diff(path: str, lines: int = 3, patch: str | None = "", status: str = "modified") -> FileDiff:
    """A changed file whose patch adds ``lines`` lines (or the given patch)."""
    if patch == "":
        patch = f"@@ -0,0 +1,{lines} @@\n" + "".join(f"+line {n} of {path}\n" for n in range(lines))
    return FileDiff(path=path, status=status, patch=patch, additions=lines, deletions=0)


def test_source_comes_before_tests_before_docs() -> None:
    """With room for everything, one batch holds source, then tests, then docs."""
    files = [
        diff("docs/guide.md"),
        diff("tests/test_api.py"),
        diff("README.rst"),
        diff("src/api.py", lines=2),
        diff("src/core.py", lines=9),
        diff("pkg/widget_test.go"),
    ]
    split = split_for_review(files, budget=100_000)
    (batch,) = split.batches
    assert [f.path for f in batch.files] == [
        "src/core.py",  # most changed source first
        "src/api.py",
        "pkg/widget_test.go",
        "tests/test_api.py",
        "README.rst",
        "docs/guide.md",
    ]
    assert split.not_reviewed == ()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("bot/app.py", FileKind.SOURCE),
        ("tests/unit/test_app.py", FileKind.TEST),
        ("web/button.spec.ts", FileKind.TEST),
        ("conftest.py", FileKind.TEST),
        ("CHANGELOG.md", FileKind.DOCS),
        ("docs/conf.py", FileKind.DOCS),
        ("Makefile", FileKind.SOURCE),
    ],
)
def test_file_kinds(path: str, kind: FileKind) -> None:
    """Paths are classified as source, test or documentation."""
    assert file_kind(path) is kind


def test_lock_generated_vendored_and_binary_files_are_not_reviewed_with_reasons() -> None:
    """Files no reviewer should read are listed as not reviewed, each with its reason."""
    files = [
        diff("poetry.lock"),
        diff("web/package-lock.json"),
        diff("static/app.min.js"),
        diff("proto/api_pb2.py"),
        diff("vendor/lib/x.go"),
        diff("logo.png", patch=None),
        diff("src/moved.py", lines=0, patch=None, status="renamed"),
        diff("src/empty.py", lines=0, patch=None, status="added"),
        diff("src/ok.py"),
    ]
    split = split_for_review(files, budget=10_000)
    assert [f.path for f in split.batches[0].files] == ["src/ok.py"]
    assert NO_PATCH == "no diff to review (a binary or empty file, or too large for GitHub to show)"
    assert {item.path: item.reason for item in split.not_reviewed} == {
        "poetry.lock": "lock file",
        "web/package-lock.json": "lock file",
        "static/app.min.js": "generated file",
        "proto/api_pb2.py": "generated file",
        "vendor/lib/x.go": "vendored file",
        "logo.png": NO_PATCH,
        "src/moved.py": "renamed without changes",
        "src/empty.py": NO_PATCH,
    }


def test_a_file_over_the_budget_alone_is_not_reviewed() -> None:
    """A single file bigger than the budget is said to be not reviewed, with its size."""
    big, small = diff("src/big.py", lines=500), diff("src/small.py", lines=2)
    split = split_for_review([big, small], budget=estimate_tokens(render_file(small)) + 5)
    assert [f.path for b in split.batches for f in b.files] == ["src/small.py"]
    (skipped,) = split.not_reviewed
    assert skipped.path == "src/big.py"
    assert skipped.reason.startswith("its diff alone (~")
    assert skipped.reason.endswith(f"tokens) is over the budget of {split.budget}")


def test_a_batch_exactly_at_the_budget_is_allowed_and_one_more_file_splits() -> None:
    """Two files that fill the budget exactly share a batch; a third starts a new one."""
    first, second, third = diff("a.py", 4), diff("b.py", 4), diff("c.py", 4)
    exact = estimate_tokens(render_batch([first, second]))
    split = split_for_review([first, second, third], budget=exact)
    assert [[f.path for f in b.files] for b in split.batches] == [["a.py", "b.py"], ["c.py"]]
    assert split.batches[0].tokens == exact
    tighter = split_for_review([first, second], budget=exact - 1)
    assert [[f.path for f in b.files] for b in tighter.batches] == [["a.py"], ["b.py"]]


def test_max_batches_leaves_the_rest_not_reviewed() -> None:
    """Files beyond the last allowed batch are listed as not reviewed."""
    files = [diff(f"src/m{n}.py", lines=20) for n in range(4)]
    budget = estimate_tokens(render_file(files[0])) + 1
    split = split_for_review(files, budget=budget, max_batches=2)
    assert len(split.batches) == 2
    assert [item.reason for item in split.not_reviewed] == [
        "over the review's limit of 2 batch(es)"
    ] * 2


def test_bad_budgets_are_refused_clearly() -> None:
    """A budget or batch limit below 1 is a clear ValueError."""
    with pytest.raises(ValueError, match="budget must be at least 1, not 0"):
        split_for_review([diff("a.py")], budget=0)
    with pytest.raises(ValueError, match="max_batches must be at least 1, not 0"):
        split_for_review([diff("a.py")], budget=10, max_batches=0)


def test_a_patch_with_backticks_cannot_close_its_fence() -> None:
    """The fence around a patch is longer than any run of backticks inside it."""
    patch = "@@ -0,0 +1,2 @@\n+```\n+`````x\n"
    text = render_file(diff("notes.py", patch=patch))
    assert "\n``````diff\n" in text and text.endswith("\n``````")


def test_control_characters_in_a_path_are_not_rendered() -> None:
    """A path with a newline or backtick cannot forge a header in the shared context."""
    text = render_file(diff("evil\n### `x.py`.py"))
    assert text.splitlines()[0] == "### `evil?### ?x.py?.py` (modified, +3 -0)"


paths = st.lists(
    st.sampled_from(["src", "tests", "docs", "vendor", "lib"]).flatmap(
        lambda d: st.from_regex(rf"{d}/[a-z]{{1,6}}\.(py|md|lock|go)", fullmatch=True)
    ),
    unique=True,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(paths=paths, sizes=st.lists(st.integers(0, 80), min_size=25), budget=st.integers(1, 900))
def test_every_file_in_exactly_one_place_and_every_batch_within_budget(
    paths: list[str], sizes: list[int], budget: int
) -> None:
    """Each file is in one batch or not reviewed; each rendered batch is within the budget."""
    files = [diff(p, lines=n) for p, n in zip(paths, sizes, strict=False)]
    split = split_for_review(files, budget=budget)
    placed = [f.path for b in split.batches for f in b.files]
    skipped = [item.path for item in split.not_reviewed]
    assert sorted(placed + skipped) == sorted(paths)
    for batch in split.batches:
        assert batch.files
        assert estimate_tokens(render_batch(batch)) == batch.tokens <= budget
    shuffled = files[:]
    random.Random(len(paths)).shuffle(shuffled)
    assert split_for_review(shuffled, budget=budget) == split


def test_tokens_are_estimated_from_characters_rounded_up() -> None:
    """Tokens are characters divided by CHARS_PER_TOKEN, rounded up."""
    assert CHARS_PER_TOKEN == 3
    assert [estimate_tokens("x" * n) for n in (0, 1, 3, 4, 300)] == [0, 1, 1, 2, 100]
