"""Benchmark the review fan-out: five reviewers on a 1,500-line diff against one alone.

Run from the repository root:

    python bench/review_fanout.py                      # the scripted model in this process
    python bench/review_fanout.py --model-url URL      # a scripted model already running

Each reviewer reads the diff and submits at once; every response begins 0.5 s after its
request, and a cache entry is readable only from then (as on the real API), so reviewers that
all start together would each write the diff to the cache. Printed for five reviewers and for
one: model calls, cache writes and reads, and the input side's cost at the bundled prices; then
the ratio of the two costs (target: at most 1.5).

``--model-url`` lets an older tree be measured against today's scripted model: start it with
``specbot model --script SCRIPT --port 0`` (``--write-script PATH`` writes the script) and run
this file copied into the older tree (``git archive``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents import ResilientModel
from bot.ports import FileDiff
from bot.review import ReviewPolicy
from bot.work import Team, review_changes

MODEL = "claude-sonnet-4-5"
REVIEWERS = ("security", "correctness", "performance", "style", "spec-conformance")
FILES = 5
LINES_PER_FILE = 300
SCRIPT: dict[str, Any] = {
    "model": MODEL,
    "latency": 0.5,
    "min_cacheable_tokens": 1024,
    "turns": [
        {
            "reply": [
                {
                    "tool_use": {
                        "name": "submit_review",
                        "input": {"summary": "Nothing to report.", "findings": []},
                    }
                }
            ]
        }
    ],
}


def diff_files(salt: str) -> list[FileDiff]:
    """Five new modules of 300 lines each, every line different (``salt`` keeps two reviews
    from sharing cache entries)."""
    files = []
    for f in range(FILES):
        body = "".join(
            f"+def handler_{f}_{n}(request, limit={n}):  # route {f}/{n}\n"
            if n % 3 == 0
            else f"+    total_{n} = request.size * {n} + {f}  # step {n} of handler {f}\n"
            for n in range(LINES_PER_FILE)
        )
        patch = f"@@ -0,0 +1,{LINES_PER_FILE} @@\n{body}"
        files.append(
            FileDiff(
                path=f"app/{salt}/handlers_{f}.py",
                status="added",
                patch=patch,
                additions=LINES_PER_FILE,
                deletions=0,
            )
        )
    return files


def review(base_url: str, reviewers: tuple[str, ...], salt: str) -> dict[str, Any]:
    """One review by ``reviewers``; its calls and input cost."""
    return measure_review(base_url, diff_files(salt), reviewers, salt, "Add handlers")


def measure_review(
    base_url: str,
    files: list[FileDiff],
    reviewers: tuple[str, ...],
    salt: str,
    title: str,
    **options: Any,
) -> dict[str, Any]:
    """One review of ``files`` in a checkout of its own (``salt`` names a file in it, so no
    two reviews share a cached prompt); its calls, tokens and input cost."""
    model = ResilientModel(AnthropicModel(api_key="bench", model=MODEL, base_url=base_url))
    team = Team(call_model=model.complete, model_name=MODEL)
    try:
        with tempfile.TemporaryDirectory() as checkout:
            (Path(checkout) / f"{salt}.txt").write_text(salt)
            review_changes(
                team,
                Path(checkout),
                files,
                None,
                pull=1,
                title=title,
                reviewers=reviewers,
                policy=ReviewPolicy(),
                with_analysers=False,
                **options,
            )
    finally:
        model.close()
    return input_figures(team)


def input_figures(team: Team) -> dict[str, Any]:
    """The team's calls, fresh input, cache writes and reads, and their cost."""
    calls = team.ledger.calls()
    price = team.ledger.prices.price(MODEL)
    writes = sum(c.usage.cache_creation_input_tokens for c in calls)
    reads = sum(c.usage.cache_read_input_tokens for c in calls)
    fresh = sum(c.usage.input_tokens for c in calls)
    cost = (fresh * price.input + writes * price.cache_write + reads * price.cache_read) / 1e6
    return {"calls": len(calls), "fresh": fresh, "writes": writes, "reads": reads, "cost": cost}


def main() -> None:
    """Print both reviews' figures and their cost ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-url", help="a running scripted model (else one is started)")
    parser.add_argument("--write-script", type=Path, help="write the model's script and stop")
    args = parser.parse_args()
    if args.write_script:
        args.write_script.write_text(json.dumps(SCRIPT))
        return
    server = None
    if args.model_url is None:
        from bot.scripted import start_scripted_model

        server = start_scripted_model(SCRIPT)
    base_url = args.model_url or server.base_url  # type: ignore[union-attr]
    try:
        swarm = review(base_url, REVIEWERS, "swarm")
        alone = review(base_url, ("security",), "alone")
    finally:
        if server is not None:
            server.stop()
    for name, figures in (("five reviewers", swarm), ("one reviewer", alone)):
        print(
            f"{name:>15}: {figures['calls']} calls, {figures['fresh']} fresh, "
            f"{figures['writes']} written, {figures['reads']} read, input ${figures['cost']:.4f}"
        )
    print(f"{'ratio':>15}: {swarm['cost'] / alone['cost']:.2f} (target at most 1.5)")


if __name__ == "__main__":
    main()
