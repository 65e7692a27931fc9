"""The rubric's findings: default severity, principle, message and fix hint of every id."""

from __future__ import annotations

from typing import NamedTuple

from bot.spec._model import FindingId, Principle, Severity


class Rule(NamedTuple):
    """What the rubric says about one finding id."""

    severity: Severity
    principle: Principle | None
    message: str
    fix: str


RULES: dict[FindingId, Rule] = {
    "STR-001": Rule("error", None, "The body is empty.", "Fill in the spec template."),
    "STR-002": Rule(
        "error",
        None,
        "The body has fewer than 30 words outside comments, code and headings.",
        "Add context, behaviour, criteria and failure handling.",
    ),
    "STR-003": Rule(
        "error",
        None,
        "Unresolved placeholder or marker.",
        "Resolve each marker or move it to an open question outside the spec.",
    ),
    "STR-004": Rule(
        "info", None, "Issue-form field answered '_No response_'.", "Answer the field or delete it."
    ),
    "STR-005": Rule(
        "info",
        None,
        "No canonical section recognised (prose only).",
        "Use `## Context`, `## Acceptance criteria`, ... or `KEY:` lines.",
    ),
    "STR-006": Rule(
        "info",
        None,
        "The body has more than 2,000 words outside comments and code.",
        "Consider splitting into linked issues.",
    ),
    "SEC-001": Rule(
        "error",
        None,
        "Text addressed to the agent or the gate (possible prompt injection).",
        "Remove the text; a maintainer must review before agents run.",
    ),
    "SEC-002": Rule(
        "warn", None, "Invisible or bidi control characters.", "Remove hidden characters."
    ),
    "CMP-001": Rule(
        "error",
        "P1",
        "No requirement: no requirement or behaviour section, no criterion, no 'must' statement.",
        "State what the system must do.",
    ),
    "CMP-002": Rule("warn", "P1", "No inputs named.", "Name the inputs and their valid ranges."),
    "CMP-003": Rule("warn", "P1", "No scope boundary.", "List what is in and out of scope."),
    "CMP-004": Rule(
        "warn",
        "P1",
        "No result described.",
        "Describe what the user or caller gets back.",
    ),
    "CMP-005": Rule(
        "warn",
        "P1",
        "A collection without an empty state.",
        "Say what is shown when there is nothing to show.",
    ),
    "CMP-006": Rule(
        "warn",
        "P1",
        "No performance target (no duration or percentile).",
        "Add a performance target (e.g. p95 ≤ 300 ms).",
    ),
    "IMP-001": Rule(
        "error",
        "P1",
        "Prescribes a code construct instead of behaviour.",
        "Describe the observable behaviour; leave the construct to the agent.",
    ),
    "IMP-002": Rule(
        "warn",
        "P1",
        "Imperative technology choice in a requirement.",
        "Move it to TECHNICAL CONSTRAINTS with a reason, or drop it.",
    ),
    "IMP-003": Rule(
        "warn",
        "P1",
        "Code block with implementation code.",
        "Replace code with the contract it must satisfy.",
    ),
    "CTX-001": Rule(
        "error",
        "P2",
        "No location: no route, file, module, endpoint or named place.",
        "Say where it lives: route, file, module, endpoint.",
    ),
    "CTX-002": Rule(
        "warn",
        "P2",
        "No current state described.",
        "Describe how it behaves today.",
    ),
    "CTX-003": Rule(
        "warn",
        "P2",
        "Reference to context the reader does not have.",
        "Inline the referenced decision.",
    ),
    "ACC-001": Rule(
        "error",
        "P3",
        "No acceptance criteria.",
        "Add an `## Acceptance criteria` checklist.",
    ),
    "ACC-002": Rule(
        "error",
        "P3",
        "Vague word in an acceptance criterion, with no figure.",
        'Replace the adjective with a figure (e.g. "fast" → "p95 ≤ 300 ms").',
    ),
    "ACC-003": Rule(
        "warn",
        "P3",
        "Vague word in a requirement, with no figure.",
        "Quantify or delete the adjective.",
    ),
    "ACC-004": Rule(
        "error",
        "P3",
        "No acceptance criterion is measurable.",
        "Give at least one criterion a number, threshold, status code or exact text.",
    ),
    "ACC-005": Rule(
        "warn",
        "P3",
        "Escape or open-ended clause.",
        "Enumerate the cases or state the condition.",
    ),
    "ACC-006": Rule(
        "warn",
        "P3",
        "Unachievable absolute.",
        "State a realistic target (e.g. 99.9 % monthly).",
    ),
    "ACC-007": Rule(
        "warn",
        "P3",
        "Malformed EARS requirement.",
        "Use `WHEN <trigger> THE SYSTEM SHALL <response>`.",
    ),
    "ERR-001": Rule(
        "error",
        "P4",
        "No failure handling: no sentence pairs a failure with the system's response.",
        "For each failure: trigger, what the user sees, retries, what must not be lost.",
    ),
    "ERR-002": Rule(
        "warn",
        "P4",
        "Failures are handled but nothing says what the user or caller sees.",
        "Say what the user/caller sees on failure.",
    ),
    "ERR-003": Rule(
        "warn",
        "P4",
        "External dependency without a timeout or retry policy.",
        "State timeout and retry policy.",
    ),
    "ERR-004": Rule(
        "warn",
        "P4",
        "Data is changed but nothing says what must not be lost on failure.",
        "Say what must not be lost on failure.",
    ),
    "ERR-005": Rule(
        "warn",
        "P4",
        "Unbounded retry.",
        "Cap attempts and say what happens after the last one.",
    ),
    "CON-001": Rule(
        "error",
        "P3",
        "Conflicting targets for the same metric.",
        "Keep one target per metric; delete or qualify the other.",
    ),
}
