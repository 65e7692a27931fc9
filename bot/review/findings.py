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


class Finding(BaseModel):
    """One finding on a line of the new version of a file (``submit_review`` contract)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(min_length=1, max_length=4096)
    line: int = Field(ge=1)
    end_line: int | None = Field(default=None, ge=1)
    severity: Severity
    category: str = Field(min_length=1, max_length=100)
    message: str = Field(min_length=1, max_length=10_000)
    suggestion: str | None = Field(default=None, max_length=20_000)
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        cleaned = value.strip().removeprefix("./")
        if cleaned.startswith("/") or "\x00" in cleaned:
            raise ValueError("path must be relative to the repository root")
        return cleaned

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
