"""The spec package: parse an issue body into a ``Spec``, judge it, render the verdict.

Pure: no I/O, no clock, no randomness. The same bytes always give the same verdict, and no text
in a body can change how the gate judges (the body is data, never configuration).
"""

from bot.spec._catalog import RULES, Rule
from bot.spec._config import ALL_IDS, PROTECTED_IDS, GateConfig
from bot.spec._gate import MAX_FINDINGS_PER_ID, lint
from bot.spec._model import (
    PRINCIPLES,
    Criterion,
    CriterionKind,
    Finding,
    FindingId,
    Principle,
    Section,
    SectionKind,
    Severity,
    Spec,
    Verdict,
)
from bot.spec._parse import parse_spec
from bot.spec._render_json import render_json, render_json_many
from bot.spec._render_markdown import GITHUB_COMMENT_LIMIT, code_span, render_markdown
from bot.spec._render_text import render_summary, render_text
from bot.spec._sections import ALIASES

__all__ = [
    "ALIASES",
    "ALL_IDS",
    "GITHUB_COMMENT_LIMIT",
    "MAX_FINDINGS_PER_ID",
    "PRINCIPLES",
    "PROTECTED_IDS",
    "RULES",
    "Criterion",
    "CriterionKind",
    "Finding",
    "FindingId",
    "GateConfig",
    "Principle",
    "Rule",
    "Section",
    "SectionKind",
    "Severity",
    "Spec",
    "Verdict",
    "code_span",
    "lint",
    "parse_spec",
    "render_json",
    "render_json_many",
    "render_markdown",
    "render_summary",
    "render_text",
]
