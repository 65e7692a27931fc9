"""A review swarm's blackboard, read back from its events: the tasks each reviewer was given,
what each contributed in each round (findings, verdict, confidence), what was merged, who was
missing and the synthesis.

The payloads are the ones ``bot/work/_reviewing.py`` records (``review.task``,
``review.contribution``, ``review.merged``, ``review.synthesis``). Finding paths and reviewer
names come from models: every value is made plain text here and escaped by the templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.orchestra import Event
from bot.web.dashboard._text import plain_text

# A later round's member is "name (round N)": one reviewer, several rounds.
_ROUND = re.compile(r"\s+\(round \d+\)$")


def blackboard(events: Iterable[Event]) -> dict[str, Any]:
    """Findings by reviewer (with their tasks and rounds), what was merged, the synthesis."""
    reviewers: dict[str, dict[str, list[dict[str, Any]]]] = {}
    merged: list[dict[str, str]] = []
    missing: list[str] = []
    synthesis: dict[str, str] = {}

    def board_of(name: object) -> dict[str, list[dict[str, Any]]]:
        reviewer = _ROUND.sub("", plain_text(name or "?", 80))
        return reviewers.setdefault(reviewer, {"tasks": [], "rounds": []})

    for event in events:
        payload = event.payload
        if event.event_type == "review.task":
            board_of(payload.get("agent"))["tasks"].append(_task(payload))
        elif event.event_type == "review.contribution":
            board_of(payload.get("agent"))["rounds"].append(_contribution(payload))
        elif event.event_type == "review.merged":
            merged = [_merged(item) for item in _mappings(payload.get("findings"))]
            found = payload.get("missing")
            missing = [plain_text(m, 200) for m in found] if isinstance(found, list) else []
        elif event.event_type == "review.synthesis":
            synthesis = {
                "event": plain_text(payload.get("event"), 40),
                "findings": plain_text(payload.get("findings"), 20),
                "rule": plain_text(payload.get("rule"), 80),
                "reason": plain_text(payload.get("reason")),
            }
    return {"reviewers": reviewers, "merged": merged, "missing": missing, "synthesis": synthesis}


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _task(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What the coordinator asked of one reviewer: the objective and the files."""
    body = payload.get("payload")
    body = body if isinstance(body, Mapping) else {}
    context = body.get("context")
    files = context.get("files") if isinstance(context, Mapping) else None
    return {
        "objective": plain_text(body.get("objective"), 300),
        "files": [plain_text(name, 200) for name in files] if isinstance(files, list) else [],
    }


def _contribution(payload: Mapping[str, Any]) -> dict[str, Any]:
    """One reviewer's round: its verdict, how sure it was, its findings."""
    iteration = payload.get("iteration")
    confidence = payload.get("confidence")
    sure = (
        f"{confidence:.0%}"
        if isinstance(confidence, int | float) and not isinstance(confidence, bool)
        else ""
    )
    return {
        "round": iteration if isinstance(iteration, int) else 1,
        "verdict": plain_text(payload.get("verdict") or "no verdict", 40),
        "confidence": sure,
        "findings": [_finding(item) for item in _mappings(payload.get("listed"))],
    }


def _finding(item: Mapping[str, Any]) -> dict[str, str]:
    line = item.get("line")
    return {
        "where": f"{plain_text(item.get('path'), 200)}:{line if isinstance(line, int) else '?'}",
        "severity": plain_text(item.get("severity"), 40),
        "kind": plain_text(item.get("kind"), 80),
    }


def _merged(item: Mapping[str, Any]) -> dict[str, str]:
    reviewers = item.get("reviewers")
    names = reviewers if isinstance(reviewers, list) else []
    return {
        "path": plain_text(item.get("path"), 200),
        "reviewers": ", ".join(plain_text(name, 80) for name in names),
    }
