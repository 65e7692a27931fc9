"""Benchmark a long implementer session: what it spends, and how large its largest call grows.

Run from the repository root (needs bubblewrap for the shell, as the agents do):

    python bench/long_task.py            # 50 views of 4 KB files and 10 test runs, then done
    python bench/long_task.py --json     # the same figures as one JSON object

An implementer session of 61 model calls against the scripted model over HTTP (the real SDK):
it views 50 files of about 4 KB each (200 KB in all) and reads a 3 KB test report ten times,
then says it is done. The role's own limits from ``roles.yaml`` apply. Printed: how the agent
ended, model calls, effective tokens (cache reads at a tenth), all tokens processed, the cost at
the bundled prices, and the largest single call's input (fresh + cache writes + cache reads).

It uses only what every version of the loop offers (``load_role``, ``build_toolbox``,
``run_agent``), so copying it into an older tree (``git archive``) measures that tree the same
way: run ``python <tree>/bench/long_task.py`` and the tree's own ``bot`` is imported.
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
from bot.agents import (
    PriceTable,
    ResilientModel,
    UsageLedger,
    build_toolbox,
    load_role,
    run_agent,
)
from bot.agents.tools import Workspace
from bot.scripted import start_scripted_model

MODEL = "claude-sonnet-4-5"
VIEWS = 50
TEST_RUNS = 10
FILE_BYTES = 4_000


def _module(index: int) -> str:
    """About FILE_BYTES of varied Python, so no two files share their text."""
    lines = [f'"""Module {index}: helpers for part {index} of the widget pipeline."""', ""]
    n = 0
    while sum(len(line) + 1 for line in lines) < FILE_BYTES:
        lines += [
            f"def step_{index}_{n}(value: int, scale: int = {n + 2}) -> int:",
            f'    """Scale ``value`` for stage {n} of module {index}."""',
            f"    total = value * scale + {index * 7 + n}",
            f"    return total if total < {1000 + n * index} else total % {97 + n}",
            "",
        ]
        n += 1
    return "\n".join(lines) + "\n"


def make_checkout(root: Path) -> Workspace:
    """A repository of VIEWS modules and a saved test report."""
    (root / "src").mkdir()
    for index in range(VIEWS):
        (root / "src" / f"mod_{index:02d}.py").write_text(_module(index))
    report = "".join(f"tests/test_mod_{i:02d}.py::test_step PASSED [{i}%]\n" for i in range(60))
    (root / "test-report.txt").write_text(report + "60 passed in 1.23s\n")
    return Workspace(root)


def script() -> dict[str, Any]:
    """The session: a view or a test run per call, a test run every sixth call, then done."""
    turns: list[dict[str, Any]] = []
    views = iter(range(VIEWS))
    for turn in range(VIEWS + TEST_RUNS):
        if turn % 6 == 5:
            call = {"name": "bash", "input": {"command": "cat test-report.txt"}}
        else:
            path = f"src/mod_{next(views):02d}.py"
            view = {"command": "view", "path": path}
            call = {"name": "str_replace_based_edit_tool", "input": view}
        turns.append({"when": {"turn": turn}, "reply": [{"text": "Next."}, {"tool_use": call}]})
    turns.append({"when": {"turn": VIEWS + TEST_RUNS}, "reply": [{"text": "Done."}]})
    return {"model": MODEL, "min_cacheable_tokens": 1024, "turns": turns}


def measure() -> dict[str, Any]:
    """Run the session once and return its figures."""
    server = start_scripted_model(script())
    calls: list[dict[str, int]] = []

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "model.response":
            calls.append(payload["usage"])

    try:
        client = AnthropicModel(api_key="bench", model=MODEL, base_url=server.base_url)
        model = ResilientModel(client)
        ledger = UsageLedger(PriceTable.bundled())
        role = load_role("implementer")
        with tempfile.TemporaryDirectory() as directory:
            workspace = make_checkout(Path(directory))
            with build_toolbox(role, workspace) as toolbox:
                outcome = run_agent(
                    agent="implementer",
                    role=role,
                    task="Read every module under src/ and run the tests after every five.",
                    call_model=model.complete,
                    toolbox=toolbox,
                    ledger=ledger,
                    on_event=on_event,
                )
        model.close()
    finally:
        server.stop()
    usage = outcome.usage
    contexts = [
        c["input_tokens"] + c["cache_creation_input_tokens"] + c["cache_read_input_tokens"]
        for c in calls
    ]
    effective = (
        usage.input_tokens
        + usage.cache_creation_input_tokens
        + usage.output_tokens
        + usage.cache_read_input_tokens // 10
    )
    return {
        "status": outcome.status,
        "message": outcome.message,
        "calls": len(calls),
        "effective_tokens": effective,
        "all_tokens": usage.total_tokens,
        "cache_read_tokens": usage.cache_read_input_tokens,
        "cache_write_tokens": usage.cache_creation_input_tokens,
        "cost_usd": round(ledger.cost_usd(), 4),
        "largest_call_input": max(contexts),
        "last_call_input": contexts[-1],
    }


def main() -> None:
    """Print the figures of one session."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    figures = measure()
    if parser.parse_args().json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:>20}: {value}")


if __name__ == "__main__":
    main()
