"""The model port: what an agent needs from a language model, in Messages API terms.

Requests and responses are JSON-portable pydantic models, so a durable engine can checkpoint
every call and replay it on resume. Messages and content blocks stay plain dicts in the
Messages API wire shape, the shape the model was trained on and the API accepts back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Effort = Literal["low", "medium", "high", "xhigh", "max"]


class Usage(BaseModel):
    """Tokens one or more calls consumed, split as Anthropic bills them.

    Thinking is billed as output: the API counts it in ``output_tokens``, so cost includes it.
    """

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens
            + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
        )

    @property
    def context_tokens(self) -> int:
        """The input side of a call: fresh input, cache writes and cache reads."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def effective_tokens(self) -> int:
        """Tokens weighted as they are billed against input: a cache read counts a tenth.

        Budgets count these: a long session re-reads its whole cached history on every call,
        so counting each read in full would grow with the square of the number of turns.
        """
        return (
            self.input_tokens
            + self.cache_creation_input_tokens
            + self.output_tokens
            + self.cache_read_input_tokens // 10
        )

    @property
    def total_tokens(self) -> int:
        """Every token processed: fresh input, cache writes, cache reads and output."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
        )


class ModelRequest(BaseModel):
    """One call: system prompt, optional shared context, tools and the conversation so far."""

    model_config = ConfigDict(frozen=True)

    agent: str = Field(description="Who is calling, for usage accounting and logs.")
    system: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = Field(default_factory=list)
    shared_context: str | None = Field(
        default=None,
        description="A large block several agents read (a diff, a spec); cached once for all.",
    )
    max_tokens: int = 8192
    model: str | None = Field(default=None, description="The role's model; default the client's.")
    thinking_budget: int | None = Field(
        default=None, ge=1024, description="Extended thinking with this many tokens."
    )
    effort: Effort | None = Field(
        default=None, description="Adaptive thinking at this effort (newer models)."
    )


class ModelResponse(BaseModel):
    """The model's answer: content blocks as Messages API dicts, stop reason and usage."""

    model_config = ConfigDict(frozen=True)

    id: str
    model: str
    content: list[dict[str, Any]]
    stop_reason: str | None
    usage: Usage

    def tool_uses(self) -> list[dict[str, Any]]:
        """The ``tool_use`` blocks, in order."""
        return [b for b in self.content if b.get("type") == "tool_use"]

    def text(self) -> str:
        """The text blocks joined."""
        return "\n".join(str(b.get("text", "")) for b in self.content if b.get("type") == "text")


class ModelPort(Protocol):
    """A language model that completes one Messages API request."""

    def complete(self, request: ModelRequest) -> ModelResponse:
        """Send one request and return the model's answer, or raise a ``ModelError``."""
        ...


ModelCall = Callable[[ModelRequest], ModelResponse]
"""The single callable every model call of an agent goes through (a durable engine wraps it)."""


class ModelError(Exception):
    """A model call that did not produce an answer."""


class TransientModelError(ModelError):
    """A failure worth retrying: rate limit, overload, server error or lost connection."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str = "api_error",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.retry_after = retry_after


class PermanentModelError(ModelError):
    """A failure retrying cannot fix: a bad request, a bad key, an unknown model."""

    def __init__(self, message: str, *, status: int | None = None, error_type: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


class ModelUnavailableError(ModelError):
    """Retries were exhausted, or the circuit breaker is open."""
