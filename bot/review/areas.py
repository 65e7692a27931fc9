"""Hub-and-spoke review: the diff split by area, each area handed to the specialists it needs
(pure).

An area is the directory a file lives in, two levels deep (``bot/flows``, ``docs``, the root).
Each area (split again when its diff is over the budget) becomes one task for the reviewers the
riskiest kind of file in it calls for (``data/routing.yaml``: security reads source and tests,
not prose), so a large pull request costs each specialist only the areas it matters in, where
the swarm has every reviewer read every batch. A file's kind comes from its own name, never its
directory (``content_kind``): an author cannot hide code from security in a ``docs/`` folder.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath
from typing import Generic

import yaml

from bot.review.batches import FileKind, FileT, ReviewSplit, content_kind, split_for_review

ROOT_AREA = "(root)"


@dataclass(frozen=True)
class AreaTask(Generic[FileT]):
    """One area (or part of one) and the specialists it goes to."""

    task_id: str
    area: str
    part: str  # "" or " (part 2 of 3)"
    kind: FileKind
    files: tuple[FileT, ...]
    reviewers: tuple[str, ...]


@functools.cache
def routing() -> dict[FileKind, tuple[str, ...]]:
    """Which reviewers each kind of area goes to (``data/routing.yaml``)."""
    text = resources.files("bot.review").joinpath("data/routing.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {kind: tuple(data[kind.name.lower()]) for kind in FileKind}


def area_of(path: str) -> str:
    """The directory ``path`` lives in, at most two levels deep."""
    parts = PurePosixPath(path).parts[:-1]
    return "/".join(parts[:2]) or ROOT_AREA


def plan_areas(
    split: ReviewSplit[FileT],
    reviewers: Sequence[str],
    budget: int,
    route: Mapping[FileKind, Sequence[str]] | None = None,
) -> list[AreaTask[FileT]]:
    """The files ``split`` kept, by area, each area's parts with the reviewers they need.

    Riskiest areas first (by their riskiest file, then most changed lines); an area none of
    ``reviewers`` is routed to goes to all of them, so no kept file goes unread.
    """
    route = route if route is not None else routing()
    by_area: dict[str, list[FileT]] = defaultdict(list)
    for batch in split.batches:
        for diff in batch.files:
            by_area[area_of(diff.path)].append(diff)
    tasks: list[AreaTask[FileT]] = []
    for area, files in sorted(by_area.items(), key=lambda item: _risk(item[1])):
        kind = min(content_kind(diff.path) for diff in files)
        chosen = tuple(name for name in reviewers if name in route[kind]) or tuple(reviewers)
        parts = split_for_review(files, budget).batches  # each file fit the budget already
        for index, part in enumerate(parts, start=1):
            note = f" (part {index} of {len(parts)})" if len(parts) > 1 else ""
            task_id = f"area-{len(tasks) + 1}"
            tasks.append(AreaTask(task_id, area, note, kind, part.files, chosen))
    return tasks


def _risk(files: Sequence[FileT]) -> tuple[int, int]:
    kind = min(content_kind(diff.path) for diff in files)
    return kind, -sum(diff.additions + diff.deletions for diff in files)
