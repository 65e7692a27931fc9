"""Roles as data: prompts in ``prompts/<role>.md``, tools and limits in ``data/roles.yaml``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.agents._model import Effort
from bot.agents.tools import (
    BashTool,
    GlobTool,
    GrepTool,
    SandboxPolicy,
    TextEditorTool,
    Tool,
    Toolbox,
    Workspace,
    submit_decisions_tool,
    submit_plan_tool,
    submit_review_tool,
)

ToolId = Literal[
    "editor", "viewer", "bash", "grep", "glob", "submit_review", "submit_plan", "submit_decisions"
]
OnEvent = Callable[[str, dict[str, Any]], None]
REVIEWER_ROLES = ("security", "correctness", "performance", "style", "spec-conformance")


def _ignore_event(event_type: str, payload: dict[str, Any]) -> None:
    """An ``on_event`` that records nothing."""


class AgentLimits(BaseModel):
    """Per-agent limits: the loop stops cleanly when one is reached."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_turns: int = Field(default=40, ge=1)
    max_tokens: int = Field(
        default=500_000, ge=1, description="Effective tokens in all (a cache read counts a tenth)."
    )
    max_context_tokens: int = Field(
        default=180_000, ge=1_000, description="Input tokens of any one call (the context size)."
    )
    max_cost_usd: float | None = Field(default=None, gt=0)
    max_seconds: float = Field(default=1800.0, gt=0)
    max_output_tokens: int = Field(default=8192, ge=1)
    clear_at_tokens: int = Field(
        default=50_000,
        ge=1_000,
        description="Context size past which old tool output is cleared (or 60% of the cap).",
    )
    keep_tool_results: int = Field(
        default=5, ge=1, description="Newest tool results kept whole when old ones are cleared."
    )


class Role(BaseModel):
    """A role: its system prompt, the tools it is offered and its limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    prompt: str
    tools: tuple[ToolId, ...]
    submit: Literal["submit_review", "submit_plan", "submit_decisions"] | None = None
    limits: AgentLimits = Field(default_factory=AgentLimits)
    model: str | None = Field(default=None, description="Model id; default SPECBOT_MODEL.")
    thinking_budget: int | None = Field(
        default=None, ge=1024, description="Extended thinking tokens per call (older models)."
    )
    effort: Effort | None = Field(
        default=None, description="Adaptive thinking at this effort (newer models)."
    )

    @model_validator(mode="after")
    def _submit_is_offered(self) -> Role:
        if self.submit is not None and self.submit not in self.tools:
            raise ValueError(f"role {self.name}: submit tool {self.submit} is not in its tools")
        return self

    @model_validator(mode="after")
    def _thinking_fits(self) -> Role:
        if self.thinking_budget is not None and self.effort is not None:
            raise ValueError(f"role {self.name}: set thinking_budget or effort, not both")
        budget = self.thinking_budget
        if budget is not None and self.limits.max_output_tokens <= budget:
            raise ValueError(
                f"role {self.name}: max_output_tokens ({self.limits.max_output_tokens}) must "
                f"exceed thinking_budget ({budget}): thinking counts against the output limit"
            )
        return self


class RoleOverride(BaseModel):
    """What a repository changes for one agent: its model, thinking and limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    thinking_budget: int | None = Field(default=None, ge=1024)
    effort: Effort | None = None
    limits: dict[str, Any] = Field(default_factory=dict, description="AgentLimits fields.")

    def apply(self, role: Role) -> Role:
        """``role`` with these settings in force (validated again as a whole)."""
        data = role.model_dump()
        for key in ("model", "thinking_budget", "effort"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.effort is not None:
            data["thinking_budget"] = None  # one kind of thinking: the repository's
        if self.thinking_budget is not None:
            data["effort"] = None
        data["limits"] = {**data["limits"], **self.limits}
        return Role.model_validate(data)


def _package_text(path: str) -> str:
    return resources.files("bot.agents").joinpath(path).read_text("utf-8")


@functools.cache
def _definitions() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_package_text("data/roles.yaml"))
    return loaded


def role_names() -> list[str]:
    """Every role defined in the package."""
    return sorted(_definitions())


def load_role(name: str) -> Role:
    """The role ``name`` with its prompt (its instructions, sent at the start of the task)."""
    definitions = _definitions()
    if name not in definitions:
        raise KeyError(f"unknown role {name!r}; roles: {', '.join(role_names())}")
    prompt = _package_text(f"prompts/{name}.md").strip()
    return Role.model_validate({"name": name, "prompt": f"{prompt}\n", **definitions[name]})


def system_prompt(repository_context: str = "") -> str:
    """The system prompt every role shares: what specbot is, the untrusted-data rules, and the
    repository's context. The same for all roles, so one cache entry serves them all."""
    parts = [
        _package_text("prompts/_system.md").strip(),
        _package_text("prompts/_untrusted.md").strip(),
    ]
    if repository_context:
        parts.append(repository_context.strip())
    return "\n\n".join(parts) + "\n"


def build_toolbox(
    role: Role,
    workspace: Workspace,
    *,
    shell_timeout: float = 120.0,
    base_env: Mapping[str, str] | None = None,
    redact: Sequence[str] = (),
    sandbox: SandboxPolicy | None = None,
    on_event: OnEvent = _ignore_event,
    time_left: Callable[[], float | None] = lambda: None,
) -> Toolbox:
    """The tools ``role`` is offered, working in ``workspace``."""
    tools: list[Tool] = []
    for tool_id in role.tools:
        if tool_id in ("editor", "viewer"):
            tools.append(TextEditorTool(workspace, read_only=tool_id == "viewer"))
        elif tool_id == "bash":
            tools.append(
                BashTool(
                    workspace,
                    timeout=shell_timeout,
                    base_env=base_env,
                    sandbox=sandbox,
                    on_event=on_event,
                    time_left=time_left,
                )
            )
        elif tool_id == "grep":
            tools.append(GrepTool(workspace))
        elif tool_id == "glob":
            tools.append(GlobTool(workspace))
        elif tool_id == "submit_review":
            tools.append(submit_review_tool())
        elif tool_id == "submit_decisions":
            tools.append(submit_decisions_tool())
        else:
            tools.append(submit_plan_tool())
    return Toolbox(tools, redact=redact)
