"""Benchmark the review of a large pull request: hub-and-spoke (each area to the specialists
it needs) against the swarm (every reviewer on every batch).

Run from the repository root:

    python bench/review_by_area.py

The pull request adds 1,800 lines: two source modules, two test modules and two documentation
pages of 300 lines each, in three directories. Five reviewers; every response begins 0.5 s after
its request and a cache entry is readable only from then (as on the real API). Printed for each
pattern: model calls, input tokens (fresh, cache writes, cache reads) and the input side's cost
at the bundled prices; then the ratio of the costs, and the same at a diff budget of 20,000
tokens, where the swarm reads the pull request in several batches.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from review_fanout import (  # this directory: the same model, script and measure
    REVIEWERS,
    SCRIPT,
    measure_review,
)

from bot.ports import FileDiff
from bot.scripted import start_scripted_model
from bot.work import SwarmRounds

LINES = 300
PLACES = ("app/core/engine_{n}.py", "tests/test_engine_{n}.py", "docs/engine_{n}.md")


def diff_files(salt: str) -> list[FileDiff]:
    """Six files of 300 lines in three areas (``salt`` keeps runs from sharing the cache)."""
    files = []
    for place in PLACES:
        for n in range(2):
            body = "".join(
                f"+step_{n}_{i} = compute({i}, '{salt}')  # line {i} of {place.format(n=n)}\n"
                for i in range(LINES)
            )
            files.append(
                FileDiff(
                    path=place.format(n=n),
                    status="added",
                    patch=f"@@ -0,0 +1,{LINES} @@\n{body}",
                    additions=LINES,
                    deletions=0,
                )
            )
    return files


def review(base_url: str, by_area: bool, budget: int, salt: str) -> dict[str, Any]:
    """One review of the large pull request; its calls, tokens and input cost."""
    return measure_review(
        base_url,
        diff_files(salt),
        REVIEWERS,
        salt,
        "Add the engine",
        budget_tokens=budget,
        rounds=SwarmRounds(by_area=by_area),
    )


def main() -> None:
    """Print both patterns' figures at two budgets, and the cost ratios."""
    server = start_scripted_model(SCRIPT)
    try:
        for budget in (60_000, 20_000):
            swarm = review(server.base_url, False, budget, f"swarm-{budget}")
            hub = review(server.base_url, True, budget, f"hub-{budget}")
            print(f"diff budget {budget} tokens")
            for name, figures in (("swarm", swarm), ("hub-and-spoke", hub)):
                print(
                    f"{name:>15}: {figures['calls']} calls, {figures['fresh']} fresh, "
                    f"{figures['writes']} written, {figures['reads']} read, "
                    f"input ${figures['cost']:.4f}"
                )
            print(f"{'ratio':>15}: {hub['cost'] / swarm['cost']:.2f} (hub-and-spoke / swarm)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
