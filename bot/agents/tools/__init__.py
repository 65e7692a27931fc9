"""Workspace tools an agent may call: the text editor, bash, grep and glob, and the submit tools."""

from __future__ import annotations

from bot.agents.tools._bubblewrap import (
    UNSAFE_SETTING,
    SandboxPolicy,
    ShellMode,
    shell_mode,
)
from bot.agents.tools._editor import EDITOR_NAME, EDITOR_TYPE, TextEditorTool
from bot.agents.tools._paths import DEFAULT_DENIED, ToolError, Workspace
from bot.agents.tools._redact import REDACTED, Redactor, redact, secret_forms
from bot.agents.tools._result import Tool, ToolResult
from bot.agents.tools._sandbox import (
    Isolation,
    detect_isolation,
    is_secret,
    scrub_git_remotes,
    scrubbed_environment,
)
from bot.agents.tools._search import GLOB_NAME, GREP_NAME, GlobTool, GrepTool
from bot.agents.tools._shell import BASH_NAME, BASH_TYPE, BashTool, CappedOutput
from bot.agents.tools._submit import (
    PlanStep,
    PlanSubmission,
    SubmitTool,
    submit_decisions_tool,
    submit_plan_tool,
    submit_review_tool,
)
from bot.agents.tools._toolbox import Toolbox

__all__ = [
    "BASH_NAME",
    "BASH_TYPE",
    "DEFAULT_DENIED",
    "EDITOR_NAME",
    "EDITOR_TYPE",
    "GLOB_NAME",
    "GREP_NAME",
    "REDACTED",
    "UNSAFE_SETTING",
    "BashTool",
    "CappedOutput",
    "GlobTool",
    "GrepTool",
    "Isolation",
    "PlanStep",
    "PlanSubmission",
    "Redactor",
    "SandboxPolicy",
    "ShellMode",
    "SubmitTool",
    "TextEditorTool",
    "Tool",
    "ToolError",
    "ToolResult",
    "Toolbox",
    "Workspace",
    "detect_isolation",
    "is_secret",
    "redact",
    "scrub_git_remotes",
    "scrubbed_environment",
    "secret_forms",
    "shell_mode",
    "submit_decisions_tool",
    "submit_plan_tool",
    "submit_review_tool",
]
