"""Hub-and-spoke planning: the diff by area, each area to the specialists its files need."""

from __future__ import annotations

from bot.ports import FileDiff
from bot.review import split_for_review
from bot.review.areas import ROOT_AREA, area_of, plan_areas, routing
from bot.review.batches import FileKind

ALL = ["security", "correctness", "performance", "style", "spec-conformance"]


def _file(path: str, lines: int = 3) -> FileDiff:
    patch = f"@@ -0,0 +1,{lines} @@\n" + "".join(f"+line {i}\n" for i in range(lines))
    return FileDiff(path=path, status="added", patch=patch, additions=lines, deletions=0)


def test_areas_are_directories_two_levels_deep() -> None:
    assert area_of("bot/flows/_review.py") == "bot/flows"
    assert area_of("bot/flows/deep/er/x.py") == "bot/flows"
    assert area_of("docs/guide.md") == "docs"
    assert area_of("README.md") == ROOT_AREA


def test_each_area_goes_to_the_specialists_its_riskiest_file_needs() -> None:
    """Source to every reviewer, tests and docs to fewer; source areas first, then by size."""
    files = [
        _file("docs/guide.md", 40),
        _file("tests/test_app.py", 10),
        _file("src/app/small.py", 2),
        _file("src/app/big.py", 30),
        _file("src/cli/main.py", 5),
        _file("README.md", 1),
    ]
    tasks = plan_areas(split_for_review(files, 60_000), ALL, 60_000)
    assert [(t.area, t.kind) for t in tasks] == [
        ("src/app", FileKind.SOURCE),
        ("src/cli", FileKind.SOURCE),
        ("tests", FileKind.TEST),
        ("docs", FileKind.DOCS),
        (ROOT_AREA, FileKind.DOCS),
    ]
    assert [t.task_id for t in tasks] == ["area-1", "area-2", "area-3", "area-4", "area-5"]
    assert tasks[0].reviewers == tuple(ALL)
    assert tasks[2].reviewers == ("security", "correctness", "style", "spec-conformance")
    assert tasks[3].reviewers == ("style", "spec-conformance")
    assert [d.path for d in tasks[0].files] == ["src/app/big.py", "src/app/small.py"]
    assert routing()[FileKind.DOCS] == ("style", "spec-conformance")


def test_only_configured_reviewers_are_asked_and_no_kept_file_goes_unread() -> None:
    """An area none of the configured reviewers is routed to goes to all of them."""
    files = [_file("src/a.py"), _file("docs/b.md")]
    tasks = plan_areas(split_for_review(files, 60_000), ["security", "performance"], 60_000)
    assert [(t.area, t.reviewers) for t in tasks] == [
        ("src", ("security", "performance")),
        ("docs", ("security", "performance")),
    ]


def test_an_area_over_the_budget_is_split_into_parts_and_skipped_files_stay_out() -> None:
    """Parts are numbered; a lock file the split left out is in no task."""
    files = [_file(f"src/m{i}.py", 200) for i in range(3)] + [_file("poetry.lock")]
    split = split_for_review(files, 1_500)
    tasks = plan_areas(split, ALL, 1_500)
    assert [t.part for t in tasks] == [" (part 1 of 3)", " (part 2 of 3)", " (part 3 of 3)"]
    assert all(len(t.files) == 1 for t in tasks)
    assert [n.path for n in split.not_reviewed] == ["poetry.lock"]


def test_a_directory_name_cannot_hide_code_from_security() -> None:
    """Code under docs/, a conftest under tests/ and a module under a directory named spec
    are read as what their names say: security reads every one of them."""
    for path in ("docs/conf.py", "tests/conftest.py", "bot/spec/payments.py", "docs/x.md.py"):
        [task] = plan_areas(split_for_review([_file(path)], 60_000), ALL, 60_000)
        assert "security" in task.reviewers, path
    [prose] = plan_areas(split_for_review([_file("src/notes.md")], 60_000), ALL, 60_000)
    assert prose.reviewers == ("style", "spec-conformance")
