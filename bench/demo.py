"""Benchmark the whole loop: what one demo run costs in GitHub calls, model calls, tokens, time.

python bench/demo.py [--runs 3] [--json]

Runs the offline demo (localhub, the scripted model with zero latency, the engine on SQLite, the
webhook server, all in this process) ``--runs`` times in fresh folders and prints, per run and as
medians: wall time from the label to the last check run, time to the pull request, GitHub API
calls made by specbot (by route kind), model calls and tokens. With zero model latency the wall
time is specbot's own overhead: webhooks, queues, checkpoints, git, setup and tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.demo import demo_repo_dir, demo_script_path, demo_spec
from bot.offline import DemoContent, run_demo
from bot.web import configure_logging


def one_run(content: DemoContent) -> dict[str, Any]:
    """One demo run in a fresh folder: its report as numbers."""
    with tempfile.TemporaryDirectory(prefix="specbot-bench-demo-") as folder:
        report = run_demo(
            content, Path(folder), lambda _line: None, SPECBOT_WORKSPACE_VENV=Path(sys.prefix)
        )
    steps = {name: round(seconds, 2) for name, seconds, _line in report.seen}
    return {
        "ok": report.ok,
        "missed": report.missed,
        "seconds": round(report.seconds, 2),
        "to_pull_request": steps.get("pull request"),
        "api_calls": report.api_calls,
        "api_calls_by_kind": report.api_calls_by_kind,
        "model_calls": report.model_calls,
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
        "steps": steps,
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    configure_logging("ERROR")
    spec = demo_spec()
    content = DemoContent(demo_repo_dir(), spec.title, spec.body, demo_script_path())
    results = [one_run(content) for _ in range(args.runs)]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for index, result in enumerate(results, start=1):
        print(
            f"run {index}: {'ok' if result['ok'] else 'MISSED ' + ', '.join(result['missed'])}; "
            f"{result['seconds']:.1f} s in all, pull request at {result['to_pull_request']} s; "
            f"{result['api_calls']} GitHub API calls; {result['model_calls']} model calls; "
            f"{result['input_tokens']:,} tokens in / {result['output_tokens']:,} out"
        )
    kinds: Counter[str] = Counter()
    for result in results:
        kinds.update(result["api_calls_by_kind"])
    print(
        f"median over {len(results)} runs: "
        f"{statistics.median(r['seconds'] for r in results):.1f} s, "
        f"{statistics.median(r['api_calls'] for r in results):.0f} API calls, "
        f"{statistics.median(r['model_calls'] for r in results):.0f} model calls"
    )
    per_run = {kind: count / len(results) for kind, count in kinds.most_common()}
    print("API calls per run by kind: " + ", ".join(f"{k} {v:.0f}" for k, v in per_run.items()))


if __name__ == "__main__":
    main()
