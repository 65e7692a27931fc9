"""Benchmark of the spec-quality gate: time per body size, and growth from 100 KB to 1 MB.

Run: ``python bench/gate.py`` from the repository root. Bodies are built from the shipped
templates with every copy made unique (numbers and names change), so no cache or repetition
makes the larger bodies cheaper than real text would be.

``python bench/gate.py --loop 12`` instead times 12 back-to-back 1 MB rounds in one process
and prints their median, fastest and slowest: a steadier 1 MB figure on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.spec import lint  # noqa: E402

TEMPLATES = sorted((ROOT / "specs" / "templates").glob("*.md"))


def varied_body(size: int) -> str:
    """Template text, each copy with its own numbers and words, cut to ``size`` characters."""
    texts = [path.read_text(encoding="utf-8") for path in TEMPLATES]
    parts: list[str] = []
    total = 0
    copy = 0
    while total < size:
        text = texts[copy % len(texts)]
        text = text.replace("300", str(300 + copy)).replace("Customers", f"Customers{copy}")
        text = text.replace("50", str(50 + copy % 7)).replace("orders", f"orders{copy % 13}")
        parts.append(text)
        total += len(text) + 1
        copy += 1
    return "\n".join(parts)[:size]


def typical_spec() -> str:
    """The feature template, about 2 KB: a typical spec."""
    return (ROOT / "specs" / "templates" / "feature.md").read_text(encoding="utf-8")


def seconds_per_call(function: Callable[[], object], budget: float = 1.0) -> float:
    """Median seconds per call over several rounds within the time budget."""
    function()  # warm up
    rounds: list[float] = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(rounds) < 3:
        start = time.perf_counter()
        function()
        rounds.append(time.perf_counter() - start)
    return statistics.median(rounds)


def main() -> None:
    """Print the gate's time for each size and the 100 KB -> 1 MB growth factor."""
    cases = {
        "typical spec": typical_spec(),
        "50 KB": varied_body(50_000),
        "100 KB": varied_body(100_000),
        "1 MB": varied_body(1_000_000),
    }
    timings: dict[str, float] = {}
    print(f"{'body':<14}{'size':>12}{'time':>12}")
    for name, body in cases.items():
        timings[name] = seconds_per_call(partial(lint, body))
        print(f"{name:<14}{len(body):>12,}{timings[name] * 1000:>10.2f} ms")
    growth = timings["1 MB"] / timings["100 KB"]
    print(f"growth 100 KB -> 1 MB: x{growth:.1f} for x10 input")


def loop(rounds: int) -> None:
    """Print the median, fastest and slowest of back-to-back 1 MB rounds."""
    body = varied_body(1_000_000)
    lint(body)  # warm up
    times: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        lint(body)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{rounds} rounds of 1 MB: median {statistics.median(times):.1f} ms, "
        f"fastest {min(times):.1f} ms, slowest {max(times):.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--loop", type=int, metavar="N", help="time N back-to-back 1 MB rounds")
    arguments = parser.parse_args()
    if arguments.loop:
        loop(arguments.loop)
    else:
        main()
