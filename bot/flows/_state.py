"""A spec run's state as it moves through the pipeline's stages (stored after every stage).

Every stage takes a ``SpecRun`` and returns the next one, so the engine keeps each stage's
output and a run resumes after its last finished stage. The tracking comment is rendered from
it: stages with their state and duration, links, usage and the outcome.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.config import RepoConfig
from bot.evidence import CriterionEvidence
from bot.pull_request import TestReport
from bot.tracking import Link, RunReport, Stage, StageState

SPEC_STAGES = ("gate", "plan", "implement", "test", "self-check", "publish")


class SpecRun(BaseModel):
    """One run of the spec flow for one version of an issue."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    repo: str
    installation_id: int
    issue: int
    title: str
    body: str  # as it was at the trigger: later edits start another run
    branch: str
    tracking_key: str
    base: str = ""
    config: RepoConfig | None = None  # .github/specbot.yml as the gate read it
    comment_id: int | None = None
    stages: list[Stage] = Field(default_factory=lambda: [Stage(name=n) for n in SPEC_STAGES])
    gate_markdown: str = ""
    ready: bool | None = None
    plan: dict[str, object] | None = None
    plan_markdown: str = ""
    awaiting_approval: bool = False
    patch: str = ""
    implementer_summary: str = ""
    test_status: str = ""
    tests: TestReport | None = None
    test_notes: list[str] = Field(default_factory=list)
    evidence: list[CriterionEvidence] = Field(default_factory=list)
    pull: int | None = None
    pull_url: str | None = None
    head_sha: str | None = None
    links: list[Link] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    effective_tokens: int = 0  # what the run's token budget counts
    cost_usd: float = 0.0
    started_at: float = 0.0
    stopped: bool = False
    # The process stopped under it (the Action's job was cancelled or timed out): its work so
    # far is on the branch, and ``/specbot retry`` continues it from its last finished stage.
    interrupted: bool = False
    continues: str | None = None  # the interrupted run this one continues
    outcome: str = ""
    next_steps: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def with_stage(
        self, name: str, state: StageState, seconds: float | None = None, detail: str = ""
    ) -> SpecRun:
        """A copy with stage ``name`` in ``state``."""
        stages = [
            Stage(name=name, state=state, seconds=seconds, detail=detail)
            if stage.name == name
            else stage
            for stage in self.stages
        ]
        return self.model_copy(update={"stages": stages})

    def with_link(self, label: str, url: str) -> SpecRun:
        """A copy with the link ``label`` set to ``url`` (replacing an older one)."""
        links = [link for link in self.links if link.label != label]
        return self.model_copy(update={"links": [*links, Link(label=label, url=url)]})

    def stop(self, outcome: str, *next_steps: str) -> SpecRun:
        """A copy that ends the run here, saying why and what to do next."""
        stages = [
            stage.model_copy(update={"state": StageState.SKIPPED})
            if stage.state is StageState.PENDING
            else stage
            for stage in self.stages
        ]
        return self.model_copy(
            update={
                "stopped": True,
                "outcome": outcome,
                "next_steps": list(next_steps),
                "stages": stages,
            }
        )

    def report(self) -> RunReport:
        """What the tracking comment shows."""
        return RunReport(
            key=self.tracking_key,
            title=f"#{self.issue} {self.title}"[:200],
            gate_markdown=self.gate_markdown,
            stages=tuple(self.stages),
            links=tuple(self.links),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            outcome=self.outcome,
            next_steps=tuple(self.next_steps),
        )
