"""Wall time of the analysers on a realistic pull request, and of splitting a huge one.

Run: ``python bench/analysers.py`` (from the repository root, with the project's environment).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysers import Analyser, BanditAnalyser, RuffAnalyser, run_analyser
from bot.ports import FileDiff
from bot.review import split_for_review

FILES = 40
FUNCTIONS = 25  # about 200 lines per file


def _module(index: int, changed: bool) -> str:
    parts = ["import os\nimport subprocess\n\n"]
    for number in range(FUNCTIONS):
        risky = changed and number % 5 == 0
        body = "    return subprocess.call(cmd, shell=True)\n" if risky else ""
        parts.append(
            f"\ndef handler_{index}_{number}(cmd, items=None):\n"
            f'    """Handle request {number}."""\n'
            "    total = 0\n"
            "    for item in items or []:\n"
            "        total += len(str(item))\n"
            f"{body}"
            "    return total\n\n"
        )
    return "".join(parts)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _pull_request(root: Path) -> list[FileDiff]:
    _git(root, "init", "-q")
    for index in range(FILES):
        (root / f"mod_{index}.py").write_text(_module(index, changed=False))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    for index in range(FILES):
        (root / f"mod_{index}.py").write_text(_module(index, changed=True))
    _git(root, "commit", "-qam", "head")
    diffs = []
    for index in range(FILES):
        full = _git(root, "diff", "HEAD~1", "HEAD", "--", f"mod_{index}.py")
        patch = full[full.index("@@") :]
        name = f"mod_{index}.py"
        diffs.append(FileDiff(path=name, status="modified", patch=patch, additions=5, deletions=0))
    return diffs


def _median_seconds(action: Callable[[], object], rounds: int = 5) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    """Print the median wall time of each analyser and of splitting 3000 files."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        diffs = _pull_request(root)
        lines = sum(len(_module(i, True).splitlines()) for i in range(FILES))
        print(f"pull request: {FILES} Python files, {lines} lines, {FILES * 5} added lines")
        analysers: list[Analyser] = [RuffAnalyser(), BanditAnalyser()]
        for analyser in analysers:
            outcome = run_analyser(analyser, root, diffs)
            seconds = _median_seconds(partial(run_analyser, analyser, root, diffs))
            print(
                f"{analyser.name:7} {seconds * 1000:8.0f} ms  "
                f"{outcome.kept} kept, {outcome.outside_diff} outside the diff"
            )
    patch = "@@ -1,3 +1,30 @@\n" + "+added line of code, a typical width of text\n" * 30
    huge = [
        FileDiff(path=f"src/m{n}.py", status="modified", patch=patch, additions=30, deletions=0)
        for n in range(3000)
    ]
    seconds = _median_seconds(lambda: split_for_review(huge, budget=150_000))
    batches = len(split_for_review(huge, budget=150_000).batches)
    print(f"split   {seconds * 1000:8.1f} ms  3000 files into {batches} batches of 150k tokens")


if __name__ == "__main__":
    main()
