"""Split a pull request that is over the review token budget into batches (pure).

Reviewers see whole files, never half a patch. Files are ordered by risk, source before tests
before docs, and packed in that order into batches whose rendered diff stays within the budget.
Lock files, generated and vendored files and files without a patch (binary, or too large for
GitHub to show) are not reviewed, and neither is a file whose diff alone is over the budget:
each of those is listed with its reason, so the review can say what it did not look at.

Tokens are estimated from characters: ``CHARS_PER_TOKEN = 3``. Anthropic's rule of thumb is
about 3.5 characters per token for English; code and diffs (punctuation, indentation, short
identifiers) come out denser, so 3 over-estimates slightly and a batch does not exceed the
model's real budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import PurePosixPath
from typing import Generic, Protocol, TypeVar

from bot.diffs import number_patch

CHARS_PER_TOKEN = 3
SEPARATOR = "\n\n"
NO_PATCH = "no diff to review (a binary or empty file, or too large for GitHub to show)"

_LOCK_FILES = frozenset(
    {
        "cargo.lock",
        "composer.lock",
        "gemfile.lock",
        "go.sum",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pipfile.lock",
        "pdm.lock",
        "poetry.lock",
        "pnpm-lock.yaml",
        "uv.lock",
        "yarn.lock",
        "bun.lockb",
    }
)
_GENERATED = re.compile(
    r"(\.min\.(js|css)|\.map|_pb2(_grpc)?\.pyi?|\.pb\.go|\.generated\.\w+|\.snap)$"
)
_VENDORED_DIRS = frozenset({"vendor", "vendored", "third_party", "node_modules", "dist"})
_DOC_SUFFIXES = frozenset({".md", ".rst", ".txt", ".adoc"})
_TEST_NAME = re.compile(r"(^test_.*|.*_test\.\w+|.*\.(test|spec)\.\w+|^conftest\.py)$")
_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec"})
_UNSAFE_PATH_CHARS = re.compile(r"[\x00-\x1f\x7f`]")


class FileKind(IntEnum):
    """A changed file's review priority; lower values are reviewed first."""

    SOURCE = 0
    TEST = 1
    DOCS = 2


class ChangedFile(Protocol):
    """What splitting needs of a changed file (``bot.ports.FileDiff`` has it)."""

    @property
    def path(self) -> str:
        """The file's path in the repository."""
        ...

    @property
    def status(self) -> str:
        """added, modified, removed, renamed..."""
        ...

    @property
    def patch(self) -> str | None:
        """Its unified diff, or None for binary or huge files."""
        ...

    @property
    def additions(self) -> int:
        """Lines added."""
        ...

    @property
    def deletions(self) -> int:
        """Lines deleted."""
        ...


FileT = TypeVar("FileT", bound=ChangedFile)


@dataclass(frozen=True)
class NotReviewed:
    """A changed file no reviewer saw, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ReviewBatch(Generic[FileT]):
    """Whole files reviewed together; ``tokens`` is the estimate of their rendered diff."""

    files: tuple[FileT, ...]
    tokens: int


@dataclass(frozen=True)
class ReviewSplit(Generic[FileT]):
    """A pull request's files as review batches, plus those not reviewed."""

    budget: int
    batches: tuple[ReviewBatch[FileT], ...]
    not_reviewed: tuple[NotReviewed, ...]


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` is expected to take, rounded up (``CHARS_PER_TOKEN`` per token)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def skip_reason(diff: ChangedFile) -> str | None:
    """Why a file is never reviewed (lock, generated, vendored, nothing to read), or None."""
    path = PurePosixPath(diff.path)
    name = path.name.lower()
    if name in _LOCK_FILES or name.endswith(".lock"):
        return "lock file"
    if _GENERATED.search(name):
        return "generated file"
    if any(part.lower() in _VENDORED_DIRS for part in path.parts[:-1]):
        return "vendored file"
    if diff.patch is None or not diff.patch.strip():
        if diff.status == "renamed" and diff.additions + diff.deletions == 0:
            return "renamed without changes"
        # GitHub lists binary files with no patch and zero counts, like empty ones.
        return NO_PATCH
    return None


def file_kind(path: str) -> FileKind:
    """Whether ``path`` is source, a test or documentation."""
    pure = PurePosixPath(path)
    directories = {part.lower() for part in pure.parts[:-1]}
    if _TEST_NAME.match(pure.name.lower()) or directories & _TEST_DIRS:
        return FileKind.TEST
    if pure.suffix.lower() in _DOC_SUFFIXES or "docs" in directories or "doc" in directories:
        return FileKind.DOCS
    return FileKind.SOURCE


def content_kind(path: str) -> FileKind:
    """What a file is by its own name, whatever directory holds it: prose (``.md``, ``.rst``,
    ...) is documentation, a test module's name is a test, anything else is source. Who reads
    a file depends on this (hub-and-spoke review), and a directory name is the author's to pick:
    ``docs/conf.py`` and ``tests/conftest.py`` run code, so they are not prose."""
    pure = PurePosixPath(path)
    if pure.suffix.lower() in _DOC_SUFFIXES:
        return FileKind.DOCS
    if _TEST_NAME.match(pure.name.lower()):
        return FileKind.TEST
    return FileKind.SOURCE


def render_file(diff: ChangedFile) -> str:
    """One file of a batch as reviewers see it: a header line and its numbered patch in a fence."""
    patch = number_patch(diff.patch).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", patch)), default=0)
    fence = "`" * max(3, longest + 1)  # a fence the patch cannot close early
    shown = _UNSAFE_PATH_CHARS.sub("?", diff.path)
    header = f"### `{shown}` ({diff.status}, +{diff.additions} -{diff.deletions})"
    return f"{header}\n{fence}diff\n{patch}\n{fence}"


def render_batch(batch: ReviewBatch[FileT] | Sequence[FileT]) -> str:
    """The shared diff context of one batch: its files, in batch order."""
    files = batch.files if isinstance(batch, ReviewBatch) else batch
    return SEPARATOR.join(render_file(diff) for diff in files)


def review_order(diffs: Iterable[FileT]) -> list[FileT]:
    """Files most worth reviewing first: by kind, then most changed lines, then path."""
    return sorted(diffs, key=lambda d: (file_kind(d.path), -(d.additions + d.deletions), d.path))


def split_for_review(
    diffs: Sequence[FileT], budget: int, max_batches: int | None = None
) -> ReviewSplit[FileT]:
    """Pack whole files into batches whose rendered diff is within ``budget`` tokens each.

    Every file ends up in exactly one batch or in ``not_reviewed`` with a reason. With
    ``max_batches``, files that do not fit in that many batches are not reviewed either.
    """
    if budget < 1:
        raise ValueError(f"the review token budget must be at least 1, not {budget}")
    if max_batches is not None and max_batches < 1:
        raise ValueError(f"max_batches must be at least 1, not {max_batches}")
    skipped: list[NotReviewed] = []
    reviewable: list[FileT] = []
    for diff in diffs:
        reason = skip_reason(diff)
        if reason is None:
            reviewable.append(diff)
        else:
            skipped.append(NotReviewed(path=diff.path, reason=reason))
    batches: list[list[FileT]] = []
    chars: list[int] = []  # rendered length of each batch, kept as files are added
    for diff in review_order(reviewable):
        size = len(render_file(diff))
        tokens = math.ceil(size / CHARS_PER_TOKEN)
        if tokens > budget:
            skipped.append(
                NotReviewed(
                    path=diff.path,
                    reason=f"its diff alone (~{tokens} tokens) is over the budget of {budget}",
                )
            )
            continue
        if batches and math.ceil((chars[-1] + len(SEPARATOR) + size) / CHARS_PER_TOKEN) <= budget:
            batches[-1].append(diff)
            chars[-1] += len(SEPARATOR) + size
        elif max_batches is None or len(batches) < max_batches:
            batches.append([diff])
            chars.append(size)
        else:
            skipped.append(
                NotReviewed(
                    path=diff.path, reason=f"over the review's limit of {max_batches} batch(es)"
                )
            )
    return ReviewSplit(
        budget=budget,
        batches=tuple(
            ReviewBatch(files=tuple(files), tokens=math.ceil(size / CHARS_PER_TOKEN))
            for files, size in zip(batches, chars, strict=True)
        ),
        not_reviewed=tuple(sorted(skipped, key=lambda item: item.path)),
    )
