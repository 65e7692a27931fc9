"""``GateConfig``: which findings block and the thresholds, per repository."""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.spec._model import FindingId, Principle

ALL_IDS: tuple[FindingId, ...] = get_args(FindingId)
# Never weakened by configuration: an empty body is never ready, and text addressed to the
# agents always needs a maintainer (the threat model does not depend on a repository's YAML).
PROTECTED_IDS: frozenset[FindingId] = frozenset({"STR-001", "SEC-001"})


class GateConfig(BaseModel):
    """The ``gate:`` section of ``.github/specbot.yml``; the defaults are the rubric's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    promote: tuple[FindingId, ...] = Field(
        default=(), description="Finding ids that become errors (they block)."
    )
    demote: tuple[FindingId, ...] = Field(
        default=(), description="Finding ids that become warnings (they never block)."
    )
    disable: tuple[FindingId, ...] = Field(
        default=(), description="Finding ids that are not reported and do not count."
    )
    min_score: int = Field(
        default=0, ge=0, le=100, description="Overall score below this: not ready."
    )
    min_principle_scores: dict[Principle, int] = Field(
        default_factory=dict, description="Per-principle score below this: not ready."
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> GateConfig:
        for name in ("promote", "demote", "disable"):
            ids: tuple[str, ...] = getattr(self, name)
            if len(set(ids)) != len(ids):
                raise ValueError(f"{name} lists an id twice")
        overlap = (
            set(self.promote) & set(self.demote)
            | set(self.promote) & set(self.disable)
            | set(self.demote) & set(self.disable)
        )
        if overlap:
            raise ValueError(f"ids in more than one of promote/demote/disable: {sorted(overlap)}")
        weakened = (set(self.demote) | set(self.disable)) & PROTECTED_IDS
        if weakened:
            raise ValueError(f"{sorted(weakened)} cannot be demoted or disabled")
        for principle, score in self.min_principle_scores.items():
            if not 0 <= score <= 100:
                raise ValueError(f"min_principle_scores.{principle} must be 0..100")
        return self
