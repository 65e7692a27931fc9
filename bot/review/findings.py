"""What a reviewer reports: the ``submit_review`` contract as pydantic models (pure)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Severity(StrEnum):
    """How much a finding matters; the order of the members is the order of importance."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    NIT = "nit"

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for nit: lower is more important."""
        return list(Severity).index(self)


CATEGORIES = (
    "security",
    "correctness",
    "performance",
    "tests",
    "spec",
    "docs",
    "maintainability",
    "style",
    "other",
)
# What models and analysers write instead, mapped to the fixed list (compared lower-cased,
# with spaces, dashes and underscores removed).
_SYNONYMS = {
    "security": (
        "injection",
        "xss",
        "auth",
        "authentication",
        "authorization",
        "secret",
        "secrets",
        "crypto",
        "cryptography",
        "vulnerability",
        "sql",
        "ssrf",
        "csrf",
        "pathtraversal",
        "deserialization",
        "sandbox",
        "inputvalidation",
    ),
    "correctness": (
        "bug",
        "logic",
        "logicerror",
        "errorhandling",
        "error",
        "exception",
        "concurrency",
        "racecondition",
        "typing",
        "types",
        "edgecase",
        "validation",
        "reliability",
        "resourceleak",
    ),
    "performance": ("perf", "efficiency", "complexity", "memory", "speed", "latency"),
    "tests": ("test", "testing", "coverage", "testcoverage"),
    "spec": (
        "specconformance",
        "specification",
        "requirements",
        "requirement",
        "acceptance",
        "acceptancecriteria",
        "conformance",
    ),
    "docs": ("documentation", "doc", "docstring", "comments", "comment", "readme"),
    "maintainability": (
        "design",
        "architecture",
        "duplication",
        "complexityofcode",
        "readability",
        "refactor",
        "deadcode",
    ),
    "style": ("naming", "formatting", "format", "lint", "convention", "conventions"),
}
_CATEGORY_OF = {alias: name for name, aliases in _SYNONYMS.items() for alias in aliases}


def normal_category(value: str) -> str:
    """A category from the fixed list: the value itself, its synonym's, or ``other``."""
    key = "".join(ch for ch in value.lower() if ch.isalnum())
    if key in CATEGORIES:
        return key
    return _CATEGORY_OF.get(key, "other")


class Finding(BaseModel):
    """One finding on a line of the new version of a file (``submit_review`` contract)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(min_length=1, max_length=4096)
    line: int = Field(ge=1)
    end_line: int | None = Field(default=None, ge=1)
    severity: Severity
    category: str = Field(
        min_length=1,
        max_length=100,
        description=f"One of: {', '.join(CATEGORIES)} (anything else is filed under other).",
    )
    message: str = Field(min_length=1, max_length=10_000)
    quote: str | None = Field(
        default=None,
        max_length=5_000,
        description="The code the finding is about, copied exactly from the diff's new side "
        "(without the line numbers): it places the comment and must match for a suggestion.",
    )
    suggestion: str | None = Field(
        default=None,
        max_length=20_000,
        description="Replacement code for exactly the quoted lines.",
    )
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        cleaned = value.strip().removeprefix("./")
        if cleaned.startswith("/") or "\x00" in cleaned:
            raise ValueError("path must be relative to the repository root")
        return cleaned

    @property
    def kind(self) -> str:
        """The category as filed: one of ``CATEGORIES`` (the model's own word is kept as sent)."""
        return normal_category(self.category)

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Finding:
        if self.end_line is not None and self.end_line < self.line:
            raise ValueError("end_line must not be before line")
        return self


class ReviewSubmission(BaseModel):
    """The whole ``submit_review`` input: a summary and the findings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: str = Field(min_length=1, max_length=20_000)
    findings: list[Finding] = Field(default_factory=list, max_length=200)


class ReviewerReport(BaseModel):
    """A submission as received from one named reviewer of the swarm."""

    model_config = ConfigDict(frozen=True)

    reviewer: str
    submission: ReviewSubmission
