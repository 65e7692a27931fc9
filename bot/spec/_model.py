"""The typed results of the spec package: a parsed ``Spec`` and the gate's ``Verdict``."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warn", "info"]
Principle = Literal["P1", "P2", "P3", "P4"]
PRINCIPLES: tuple[Principle, ...] = ("P1", "P2", "P3", "P4")
FindingId = Literal[
    "STR-001",
    "STR-002",
    "STR-003",
    "STR-004",
    "STR-005",
    "STR-006",
    "SEC-001",
    "SEC-002",
    "CMP-001",
    "CMP-002",
    "CMP-003",
    "CMP-004",
    "CMP-005",
    "CMP-006",
    "IMP-001",
    "IMP-002",
    "IMP-003",
    "CTX-001",
    "CTX-002",
    "CTX-003",
    "ACC-001",
    "ACC-002",
    "ACC-003",
    "ACC-004",
    "ACC-005",
    "ACC-006",
    "ACC-007",
    "ERR-001",
    "ERR-002",
    "ERR-003",
    "ERR-004",
    "ERR-005",
    "CON-001",
]
# RUBRIC v0.2 section 0.1: what kind of change the spec asks for; rigour follows the kind.
SpecKind = Literal["feature", "bug", "performance", "chore"]
CriterionKind = Literal["checklist", "ears", "gherkin", "section", "statement"]
HeaderForm = Literal["heading", "bold", "key", "preamble"]

SEVERITY_RANK: dict[str, int] = {"error": 0, "warn": 1, "info": 2}
EXCERPT_MAX = 120


class SectionKind(StrEnum):
    """Canonical section of a spec (RUBRIC.md section 3), plus OTHER and PREAMBLE."""

    CONTEXT = "CONTEXT"
    CURRENT_STATE = "CURRENT_STATE"
    REQUIREMENT = "REQUIREMENT"
    BEHAVIOR = "BEHAVIOR"
    INPUT = "INPUT"
    SCOPE = "SCOPE"
    EMPTY_STATE = "EMPTY_STATE"
    SCORING_LOGIC = "SCORING_LOGIC"
    TRIGGER = "TRIGGER"
    ERROR_HANDLING = "ERROR_HANDLING"
    EDGE_CASES = "EDGE_CASES"
    RESULTS = "RESULTS"
    ACCEPTANCE = "ACCEPTANCE"
    TESTING = "TESTING"
    PERFORMANCE = "PERFORMANCE"
    DATA_SOURCES = "DATA_SOURCES"
    TECHNICAL_CONSTRAINTS = "TECHNICAL_CONSTRAINTS"
    OTHER = "OTHER"
    PREAMBLE = "PREAMBLE"


_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Section(BaseModel):
    """One section of a spec: its canonical kind, where it is and what it says."""

    model_config = _FROZEN

    kind: SectionKind
    title: str = Field(description="The label as written, without markup ('' for the preamble).")
    form: HeaderForm
    line: int = Field(description="Line of the header (1-based); 0 for the preamble.")
    end_line: int = Field(description="Last line that belongs to the section.")
    text: str = Field(description="Content with comments removed and code fences kept.")
    empty: bool
    no_response: bool = Field(description="An issue-form field answered '_No response_'.")


class Criterion(BaseModel):
    """One acceptance criterion: a checklist item, an EARS line, a scenario or a stated target."""

    model_config = _FROZEN

    line: int
    kind: CriterionKind
    text: str
    checked: bool | None = None
    section: SectionKind


class Spec(BaseModel):
    """A GitHub issue body parsed into sections and acceptance criteria."""

    model_config = _FROZEN

    sections: tuple[Section, ...]
    criteria: tuple[Criterion, ...]
    line_count: int
    word_count: int

    def section(self, kind: SectionKind) -> Section | None:
        """The first non-empty section of this kind, else the first one, else None."""
        found = [s for s in self.sections if s.kind is kind]
        for candidate in found:
            if not candidate.empty:
                return candidate
        return found[0] if found else None


class Finding(BaseModel):
    """One gap found by the gate, with where it is and how to fix it."""

    model_config = _FROZEN

    id: FindingId
    severity: Severity
    principle: Principle | None
    line: int = Field(description="1-based line in the body; 0 for document-level findings.")
    excerpt: str = Field(max_length=EXCERPT_MAX)
    message: str
    fix: str

    def sort_key(self) -> tuple[int, str, int]:
        """The rubric's order: severity, then id, then line."""
        return (SEVERITY_RANK[self.severity], self.id, self.line)


class Verdict(BaseModel):
    """The gate's judgement of one body: ready or not, scores and findings."""

    model_config = _FROZEN

    ready: bool
    score: int = Field(ge=0, le=100)
    scores: dict[Principle, int]
    findings: tuple[Finding, ...]
    threshold_failures: tuple[str, ...] = Field(
        default=(), description="Configured thresholds that this body missed (not in the JSON)."
    )
    kind: SpecKind = Field(
        default="feature", description="The kind the gate judged: feature, bug, performance, chore."
    )

    def contract(self) -> dict[str, object]:
        """The JSON contract of ``specbot lint --format json`` (DESIGN.md section 5)."""
        return {
            "ready": self.ready,
            "score": self.score,
            "scores": {p: self.scores[p] for p in PRINCIPLES},
            "findings": [f.model_dump(mode="json") for f in self.findings],
            "kind": self.kind,
        }
