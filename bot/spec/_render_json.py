"""The verdict as JSON: the contract of ``specbot lint --format json`` (DESIGN.md section 5)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.spec._model import Verdict


def render_json(verdict: Verdict) -> str:
    """One verdict: ``{"ready", "score", "scores", "findings", "kind"}``."""
    return json.dumps(verdict.contract(), ensure_ascii=False, indent=2)


def render_json_many(results: Sequence[tuple[str, Verdict]]) -> str:
    """Several verdicts: a list of objects, each ``{"path", ...the contract fields}``."""
    return json.dumps(
        [{"path": path, **verdict.contract()} for path, verdict in results],
        ensure_ascii=False,
        indent=2,
    )
