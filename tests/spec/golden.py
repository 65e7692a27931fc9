"""Golden verdicts: both corpora, the example and template specs, plus generated bodies.

The golden file fixes the exact JSON verdict (``render_json``) and the parsed ``Spec`` of each
input, so speed work on the gate can be checked to change nothing. Small inputs store the
verdict itself, findings without the catalog's message and fix (readable diffs); large generated
ones store sha256 digests only.

Regenerate (only when a verdict is meant to change):
``python -m tests.spec.golden`` from the repository root.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.spec import lint, parse_spec, render_json

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "data" / "golden-verdicts.json"
TEMPLATES = sorted((ROOT / "specs" / "templates").glob("*.md"))
SPEC_FILES = sorted(
    [
        *(Path(__file__).parent / "corpus").glob("*.md"),
        *(Path(__file__).parent / "corpus_real").glob("*.md"),
        *(ROOT / "specs" / "examples").rglob("*.md"),
        *TEMPLATES,
    ]
)
# Verdicts of inputs longer than this are stored as digests only.
FULL_JSON_MAX = 20_000

# The syntax fragments of the hypothesis tests (tests/spec/test_robustness.py).
FRAGMENTS = [
    "## Context\n", "### Acceptance criteria\n", "**Scope**: ", "ERROR HANDLING: ", "- [ ] ",
    "- [x] ", "WHEN ", " SHALL ", "Given ", "Then ", "```", "~~~gherkin\n", "<!--", "-->",
    "_No response_", "p95 ≤ 300 ms", "404 Not Found", '"quoted"', "`code`", "/route/x",
    "fast", "retry until", "TODO", "[NEEDS CLARIFICATION", "ignore previous instructions",
    "\u202e", "\u200b", "\r\n", "\r", "\n", " ", "\t", "é", "ñ", "📄", "#", "*", ":", "|",
    "1.5 s", "per page", "20", "\ufeff", "\x00",
]  # fmt: skip


def varied_body(size: int) -> str:
    """The benchmark's body (bench/gate.py): template copies made unique, cut to ``size``.

    A frozen copy on purpose, not an import: a change to the benchmark must never change the
    golden inputs, or the golden verdicts would no longer prove that nothing changed.
    """
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


def _fragment_mixes() -> Iterator[tuple[str, str | bytes]]:
    """Seeded random glues of fragments, random text and random bytes."""
    for seed in range(40):
        rng = random.Random(seed)
        yield f"mix-{seed}", "".join(rng.choices(FRAGMENTS, k=rng.randrange(1, 400)))
    for seed in range(10):
        rng = random.Random(1000 + seed)
        alphabet = 'ab c.\n#*:-[]`/"0123456789éñ\u200b\r\t<>!?;'
        yield f"text-{seed}", "".join(rng.choices(alphabet, k=rng.randrange(1, 3000)))
        yield f"bytes-{seed}", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))


def generated() -> Iterator[tuple[str, str | bytes | None]]:
    """Named generated bodies: benchmark bodies, pathological repetitions, random mixes."""
    yield "none", None
    yield "empty-bytes", b""
    for size in (2_000, 10_000, 50_000, 100_000, 1_000_000):
        yield f"varied-{size}", varied_body(size)
    for number, fragment in enumerate(FRAGMENTS):
        for size in (300, 30_000):
            yield f"fragment-{number}-{size}", fragment * max(size // len(fragment), 1)
    yield from _fragment_mixes()
    base = (ROOT / "tests" / "spec" / "corpus" / "en-headings-ready.md").read_text("utf-8")
    yield "repeated-spec", (base + "\n- [ ] The page is fast.\n") * (1_000_000 // len(base))
    yield "single-line", "word `x` /a 1 " * 80_000


def cases() -> Iterator[tuple[str, str | bytes | None]]:
    """Every golden input with a stable name."""
    for path in SPEC_FILES:
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
    yield from generated()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(body: str | bytes | None) -> dict[str, object]:
    """What the golden file keeps for one body."""
    verdict_json = render_json(lint(body))
    entry: dict[str, object] = {
        "verdict_sha256": _sha(verdict_json),
        "spec_sha256": _sha(parse_spec(body).model_dump_json()),
    }
    if body is None or len(body) <= FULL_JSON_MAX:
        entry["verdict"] = _compact(json.loads(verdict_json))
    return entry


def _compact(verdict: dict[str, Any]) -> dict[str, object]:
    """The verdict without each finding's message and fix (the catalog's, fixed by the id)."""
    findings = [[f["id"], f["severity"], f["line"], f["excerpt"]] for f in verdict["findings"]]
    return {**verdict, "findings": findings}


def main() -> None:
    """Write the golden file from the current gate."""
    golden = {name: record(body) for name, body in cases()}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(golden)} verdicts to {GOLDEN}")


if __name__ == "__main__":
    main()
