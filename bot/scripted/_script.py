"""The script a scripted model answers from: YAML validated into frozen pydantic models.

The format is documented in ``docs/scripted-model.md``; keep both in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Anthropic's error types by HTTP status (https://docs.anthropic.com/en/api/errors).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class ScriptError(ValueError):
    """A script file that cannot be read or does not follow the format."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fault(_Strict):
    """An error answer instead of a reply: an Anthropic error body with this status."""

    status: Literal[400, 401, 403, 404, 413, 429, 500, 504, 529]
    message: str | None = None
    retry_after: float | None = Field(default=None, ge=0)
    times: int | None = Field(default=1, ge=1, description="How many matching requests fail.")
    in_stream: bool = Field(
        default=False, description="For a streaming request: start the stream, then an error event."
    )

    def error_type(self) -> str:
        """Anthropic's error ``type`` for this status."""
        return ERROR_TYPES[self.status]


class FaultRate(_Strict):
    """Faults injected at random, from a seeded generator so a run is reproducible."""

    rate: float = Field(default=0.0, ge=0.0, le=1.0)
    seed: int = 0
    statuses: list[Literal[429, 500, 529]] = Field(default=[429, 529, 500], min_length=1)
    retry_after: float | None = Field(default=None, ge=0)


class ToolUse(_Strict):
    """A ``tool_use`` block the model emits."""

    name: str
    input: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class ReplyBlock(_Strict):
    """One content block of a reply: exactly one of ``text``, ``tool_use`` or ``thinking``.

    A ``thinking`` block is sent only when the request enables thinking, signed as the API
    signs it; it must come back unchanged in later turns.
    """

    text: str | None = None
    tool_use: ToolUse | None = None
    thinking: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReplyBlock:
        given = [v for v in (self.text, self.tool_use, self.thinking) if v is not None]
        if len(given) != 1:
            raise ValueError("a reply block has exactly one of 'text', 'tool_use' or 'thinking'")
        return self


class RawBody(_Strict):
    """An answer sent exactly as written: what a proxy or a broken server sends."""

    status: int = Field(default=200, ge=100, le=599)
    content_type: str = "application/json"
    body: str = ""


class Conditions(_Strict):
    """What a request must look like for a turn to answer it (all given conditions hold)."""

    role: str | None = Field(default=None, description="Substring of the system prompt.")
    tools: list[str] = Field(default_factory=list, description="Tool names all offered.")
    last_user_contains: str | None = None
    turn: int | None = Field(default=None, ge=0, description="Assistant turns already taken.")


StopReason = Literal[
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]


class CacheRules(_Strict):
    """How the prompt cache behaves; the defaults are the API's."""

    ttl_seconds: float = Field(default=300.0, gt=0, description="Life of an entry after use.")
    lookback_blocks: int = Field(default=20, ge=0, description="Blocks a breakpoint looks back.")
    readable_from: Literal["response", "request"] = Field(
        default="response",
        description="When a written entry can be read: once its response begins (the API), "
        "or as soon as the request that wrote it arrives.",
    )


class RateLimits(_Strict):
    """Account limits the server enforces with 429 ``rate_limit_error`` and ``retry-after``."""

    input_tokens_per_minute: int | None = Field(
        default=None, ge=1, description="Fresh input and cache writes (not reads), per minute."
    )


class Turn(_Strict):
    """A scripted answer and the conditions under which it is given."""

    name: str | None = None
    when: Conditions = Field(default_factory=Conditions)
    reply: list[ReplyBlock] = Field(default_factory=list)
    stop_reason: StopReason | None = None
    times: int | None = Field(default=None, ge=1, description="Answers at most this often.")
    latency: float = Field(default=0.0, ge=0)
    fault: Fault | None = None
    raw: RawBody | None = None

    @model_validator(mode="after")
    def _has_something_to_say(self) -> Turn:
        if not self.reply and self.fault is None and self.raw is None:
            raise ValueError("a turn needs a 'reply', a 'fault' or a 'raw' answer")
        if self.raw is not None and self.reply:
            raise ValueError("a turn answers with a 'reply' or a 'raw' body, not both")
        return self

    def resolved_stop_reason(self) -> str:
        """The stop reason sent: the given one, else ``tool_use`` when the reply calls a tool."""
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if any(b.tool_use for b in self.reply) else "end_turn"


class Script(_Strict):
    """A whole script: settings, random faults and the ordered list of turns."""

    model: str | None = Field(default=None, description="Model name in replies; else echoed.")
    api_key: str | None = Field(default=None, description="Key required; else any non-empty.")
    latency: float = Field(default=0.0, ge=0)
    min_cacheable_tokens: int = Field(default=0, ge=0)
    max_request_bytes: int = Field(default=32 * 1024 * 1024, ge=1)
    faults: FaultRate = Field(default_factory=FaultRate)
    cache: CacheRules = Field(default_factory=CacheRules)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    context_window: int | None = Field(
        default=None, ge=1, description="Input plus output tokens a request may reach."
    )
    turns: list[Turn] = Field(default_factory=list)


def parse_script(data: Any, *, source: str = "<script>") -> Script:
    """Validate already-parsed YAML/JSON data as a script, with a clear error naming the source."""
    try:
        return Script.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ScriptError(f"{source}: not a valid script: {problems}") from None


def load_script(path: Path) -> Script:
    """Read and validate a YAML script file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read script: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScriptError(f"{path}: not valid YAML: {exc}") from None
    return parse_script(data, source=str(path))
