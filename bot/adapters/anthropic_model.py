"""The ``ModelPort`` over the ``anthropic`` SDK: the only module that imports it.

Prompt caching: Anthropic caches prompt prefixes in the order tools, system, messages, up to
four ``cache_control`` breakpoints. We mark the last tool, the system prompt (the same for
every role: the rules and the repository's context), the shared context and the last message
block. The shared context (a diff, a spec: untrusted data, so never in the system prompt) opens
the first user message, before the role's instructions, so reviewers with different prompts
but the same tools read one cached copy of it.
"""

from __future__ import annotations

import copy
import email.utils
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import anthropic
import httpx2

from bot.agents import (
    InputRateLimit,
    ModelRequest,
    ModelResponse,
    PermanentModelError,
    ResilientModel,
    RetryPolicy,
    TransientModelError,
    Usage,
)
from bot.settings import Settings
from bot.telemetry import METRICS

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
_TRANSIENT_TYPES = frozenset({"rate_limit_error", "overloaded_error", "api_error", "timeout_error"})


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def build_params(request: ModelRequest, model: str) -> dict[str, Any]:
    """The Messages API parameters for a request, with cache breakpoints placed."""
    system = [{"type": "text", "text": request.system, "cache_control": EPHEMERAL}]
    messages = _with_shared_context(request.messages, request.shared_context)
    params: dict[str, Any] = {
        "model": request.model or model,
        "max_tokens": request.max_tokens,
        "system": system,
        "messages": _with_last_block_cached(messages),
    }
    if request.thinking_budget is not None:
        params["thinking"] = {"type": "enabled", "budget_tokens": request.thinking_budget}
    elif request.effort is not None:
        params["thinking"] = {"type": "adaptive"}
        params["output_config"] = {"effort": request.effort}
    if request.tools:
        tools = [dict(t) for t in request.tools]
        tools[-1]["cache_control"] = EPHEMERAL
        params["tools"] = tools
    return params


def _with_shared_context(
    messages: list[dict[str, Any]], shared: str | None
) -> list[dict[str, Any]]:
    # Untrusted data belongs in a user turn, not the system prompt; it goes first in the first
    # message, before the role's instructions, so every role reads the same cached copy.
    if not shared or not messages:
        return messages
    first = messages[0]
    content = first.get("content")
    blocks = (
        [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
    )
    shared_block = {"type": "text", "text": shared, "cache_control": EPHEMERAL}
    return [{**first, "content": [shared_block, *blocks]}, *messages[1:]]


def _with_last_block_cached(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Caching the conversation up to its newest block lets the next turn read it back.
    if not messages:
        return []
    head, last = messages[:-1], copy.deepcopy(messages[-1])
    content = last.get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    if content:
        content[-1]["cache_control"] = EPHEMERAL
    return [*head, {**last, "content": content}]


def _block_as_param(block: Any, index: int) -> dict[str, Any]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise PermanentModelError(f"the model's content block {index} has no type: {_clip(block)}")
    if block["type"] == "text":
        return {"type": "text", "text": str(block.get("text") or "")}
    if block["type"] == "tool_use":
        missing = [k for k in ("id", "name") if not isinstance(block.get(k), str)]
        if missing or not isinstance(block.get("input"), dict):
            what = f"no {' or '.join(missing)}" if missing else "an input that is not an object"
            # A sampling accident, not a broken service: asking again can give a valid call.
            raise TransientModelError(
                f"the model's tool_use block {index} has {what}", error_type="invalid_response"
            )
        return {k: block[k] for k in ("type", "id", "name", "input")}
    return block


def _clip(value: Any, limit: int = 80) -> str:
    """One short line showing what came back, for error messages."""
    text = " ".join(str(value).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def to_response(message: Any) -> ModelResponse:
    """Our ``ModelResponse`` from what the SDK returned, or a ``ModelError`` saying what is wrong.

    A 200 is not proof of a message: a proxy can answer with an HTML page or nothing, and a
    compatible server can leave out ``usage``. The SDK then returns a bare string or a message
    with missing fields; each becomes one line instead of an ``AttributeError``.
    """
    if message is None:
        raise TransientModelError(
            "the model's stream ended without a message (no message_start event)",
            error_type="invalid_response",
        )
    if not isinstance(message, anthropic.types.Message):
        # An HTML page or other text from something between us and the API: worth a retry.
        raise TransientModelError(
            f"the model answered 200 with a body that is not a message: {_clip(message)}",
            error_type="invalid_response",
        )
    dumped = message.model_dump(mode="json")
    usage = dumped.get("usage")
    if not isinstance(usage, dict) or not isinstance(usage.get("input_tokens"), int):
        raise PermanentModelError("the model answered 200 with a message without usage")
    content = dumped.get("content")
    if not isinstance(content, list):
        raise PermanentModelError(f"the model's message content is not a list: {_clip(content)}")
    blocks = [_block_as_param(_without_nulls(block), i) for i, block in enumerate(content)]
    return ModelResponse(
        id=str(message.id),
        model=str(message.model),
        content=blocks,
        stop_reason=message.stop_reason,
        usage=Usage(
            input_tokens=usage["input_tokens"],
            output_tokens=int(usage.get("output_tokens") or 0),
            cache_creation_input_tokens=int(usage.get("cache_creation_input_tokens") or 0),
            cache_read_input_tokens=int(usage.get("cache_read_input_tokens") or 0),
        ),
    )


def _without_nulls(block: Any) -> Any:
    # Optional fields the SDK fills with None (citations, caller) are not sent back; ``input``
    # is kept so that a null input is seen and refused.
    if not isinstance(block, dict):
        return block
    return {k: v for k, v in block.items() if v is not None or k == "input"}


def _final_message(stream: Any) -> Any:
    """The streamed message; ``None`` when the stream carried no ``message_start``."""
    try:
        return stream.get_final_message()
    except AssertionError:  # the SDK asserts a message began: an HTML page or empty body did not
        return None


def translate_error(exc: anthropic.APIError) -> TransientModelError | PermanentModelError:
    """Our error for an SDK error: transient (worth a retry) or permanent."""
    if isinstance(exc, anthropic.APIConnectionError):
        kind = "timeout" if isinstance(exc, anthropic.APITimeoutError) else "connection_error"
        # Name where: "Connection error." alone does not say which endpoint is unreachable.
        url = exc.request.url
        where = f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{url.path}"
        return TransientModelError(f"{kind} to {where}: {exc}", error_type=kind)
    if isinstance(exc, anthropic.APIStatusError):
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
        kind = str(error.get("type", "api_error"))
        text = f"{exc.status_code} {kind}: {error.get('message', exc.message)}"
        status = exc.status_code
        if status in (408, 429, 529) or status >= 500 or kind in _TRANSIENT_TYPES:
            retry_after = parse_retry_after(exc.response.headers)
            return TransientModelError(
                text, status=status, error_type=kind, retry_after=retry_after
            )
        return PermanentModelError(text, status=status, error_type=kind)
    return PermanentModelError(str(exc))


class AnthropicModel:
    """A ``ModelPort`` calling the Messages API through the official SDK, one attempt per call."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 600.0,
        stream: bool = False,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self.model = model
        self.stream = stream
        # max_retries=0: retries belong to ResilientModel alone, so attempts do not multiply.
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=0,
            http_client=http_client,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, stream: bool = False) -> AnthropicModel:
        """A client configured from settings (key, base URL, model, timeout)."""
        if settings.anthropic_api_key is None:
            raise PermanentModelError("ANTHROPIC_API_KEY is not set")
        return cls(
            api_key=settings.anthropic_api_key.get_secret_value(),
            model=settings.model,
            base_url=settings.anthropic_base_url,
            timeout=settings.model_timeout_seconds,
            stream=stream,
        )

    def complete(self, request: ModelRequest) -> ModelResponse:
        """One Messages API call, streamed or not; SDK errors become ``ModelError``s."""
        params = build_params(request, self.model)
        try:
            if self.stream:
                with self._client.messages.stream(**params) as stream:
                    return to_response(_final_message(stream))
            return to_response(self._client.messages.create(**params))
        except anthropic.APIError as exc:
            raise translate_error(exc) from exc
        except httpx2.TransportError as exc:  # a stream cut mid-way is not wrapped by the SDK
            message = f"connection_error: {exc}"
            raise TransientModelError(message, error_type="connection_error") from exc
        except json.JSONDecodeError as exc:  # an empty or cut body the SDK could not decode
            raise TransientModelError(
                f"the model answered with a body that is not JSON: {exc}",
                error_type="invalid_response",
            ) from exc

    def count_tokens(self, request: ModelRequest) -> int:
        """Input tokens the request would use, from ``/v1/messages/count_tokens``."""
        params = build_params(request, self.model)
        params.pop("max_tokens")
        try:
            return self._client.messages.count_tokens(**params).input_tokens
        except anthropic.APIError as exc:
            raise translate_error(exc) from exc

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()


def resilient_model_from_settings(
    settings: Settings,
    *,
    stream: bool = False,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
) -> ResilientModel:
    """The production model stack: the SDK client, our retries and a circuit breaker."""
    policy = RetryPolicy(max_attempts=settings.model_max_attempts)
    inner = AnthropicModel.from_settings(settings, stream=stream)
    itpm = settings.model_input_tokens_per_minute
    limit = InputRateLimit(itpm) if itpm is not None else None
    model = ResilientModel(inner, policy=policy, on_event=on_event, input_limit=limit)
    METRICS.watch_breaker(model.breaker)
    return model
