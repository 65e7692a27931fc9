"""Custom tools declared as pydantic models: an agent's final report, validated on arrival.

The input schemas are a contract (DESIGN.md section 5): ``submit_review`` for reviewers and
``submit_plan`` for the planner; ``submit_decisions`` is the lead's. A submission that does not
validate goes back to the model as an error listing each problem, so it can correct itself; a
valid one ends the agent's run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.agents.tools._result import ToolResult
from bot.review import ReviewSubmission


class PlanStep(BaseModel):
    """One step of a plan: what to do, which files, how to tell it is done."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    files: list[str]
    criteria: list[str]
    approach: str | None = Field(
        default=None, max_length=4_000, description="How to make the change, in a few sentences."
    )
    tests: list[str] = Field(
        default_factory=list, description="The tests to write or change, and what each proves."
    )


class PlanSubmission(BaseModel):
    """The planner's report: a summary and ordered steps."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1)
    steps: list[PlanStep] = Field(min_length=1)


class Decision(BaseModel):
    """The lead's call on one open finding: accept it as it is, or leave it to a person."""

    model_config = ConfigDict(extra="forbid")

    finding: int = Field(ge=1, description="The finding's number in the list you were given.")
    decision: Literal["accept", "escalate"]
    reason: str = Field(min_length=1, max_length=2_000)


class DecisionSubmission(BaseModel):
    """The lead's report: a summary and one decision per open finding."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=4_000)
    decisions: list[Decision] = Field(default_factory=list, max_length=200)


class SubmitTool:
    """A custom tool whose input is validated against a pydantic model before acceptance."""

    def __init__(self, name: str, description: str, schema: type[BaseModel]) -> None:
        self.name = name
        self.description = description
        self.schema = schema

    def definition(self) -> dict[str, Any]:
        """The tool with its JSON Schema, as offered to the model."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.schema.model_json_schema(),
        }

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        """Accept a valid submission; explain every problem of an invalid one."""
        try:
            accepted = self.schema.model_validate(tool_input)
        except ValidationError as exc:
            problems = "\n".join(
                f"- {'.'.join(str(p) for p in err['loc']) or '(input)'}: {err['msg']}"
                for err in exc.errors()
            )
            return ToolResult(
                f"Error: {self.name} input is invalid; fix these and call it again:\n{problems}",
                is_error=True,
            )
        # Optional fields the model left out stay out: the submission is what it sent, checked.
        submission = accepted.model_dump(mode="json", exclude_unset=True)
        return ToolResult(f"{self.name} accepted", submission=submission)

    def close(self) -> None:
        """Nothing to release."""


def submit_review_tool() -> SubmitTool:
    """The reviewers' ``submit_review`` tool."""
    return SubmitTool(
        "submit_review",
        "Submit your review once: a summary and every finding, each anchored to a line of the "
        "new version of a file. Calling it ends your review.",
        ReviewSubmission,
    )


def submit_decisions_tool() -> SubmitTool:
    """The lead's ``submit_decisions`` tool."""
    return SubmitTool(
        "submit_decisions",
        "Submit your decisions once: a summary and, for each open finding by its number, "
        "accept (it needs no change) or escalate (a person should decide), with the reason. "
        "Calling it ends your work.",
        DecisionSubmission,
    )


def submit_plan_tool() -> SubmitTool:
    """The planner's ``submit_plan`` tool."""
    return SubmitTool(
        "submit_plan",
        "Submit the implementation plan once: a summary and ordered steps, each with the files "
        "it touches and the criteria that show it is done. Calling it ends your planning.",
        PlanSubmission,
    )
