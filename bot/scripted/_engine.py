"""The scripted model itself, without HTTP: a request body in, a reply or an error out."""

from __future__ import annotations

import itertools
import random
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.scripted._log import RequestLog, redact_headers
from bot.scripted._realism import InputTokenWindow, ThinkingSigner, cut_at, thinking_enabled
from bot.scripted._script import ERROR_TYPES, Fault, RawBody, Script, Turn
from bot.scripted._tokens import (
    PromptCache,
    Segment,
    block_text,
    count_text_tokens,
    prompt_segments,
)


@dataclass(frozen=True)
class Reply:
    """A successful answer: an Anthropic ``Message`` object as JSON."""

    message: dict[str, Any]
    latency: float


@dataclass(frozen=True)
class ErrorReply:
    """An error answer: status, Anthropic error body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0
    in_stream: bool = False


@dataclass(frozen=True)
class RawReply:
    """An answer sent byte for byte as the script wrote it (an HTML page, an empty 200)."""

    raw: RawBody
    latency: float = 0.0


Answer = Reply | ErrorReply | RawReply


def error_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    """Anthropic's error body for a status."""
    kind = ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}


class InvalidRequestError(ValueError):
    """A request the Messages API would refuse with 400."""


def system_text(body: Mapping[str, Any]) -> str:
    """The system prompt as one string, whether given as a string or as text blocks."""
    system = body.get("system")
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    return "\n".join(block_text(b) for b in system)


def last_user_text(body: Mapping[str, Any]) -> str:
    """The text of the last user message, tool results included."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content", "")
            if isinstance(content, str):
                return content
            return "\n".join(block_text(b) for b in content)
    return ""


def first_user_text(body: Mapping[str, Any]) -> str:
    """The text of the first user message."""
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content", "")
            if isinstance(content, str):
                return content
            return "\n".join(block_text(b) for b in content)
    return ""


def tool_names(body: Mapping[str, Any]) -> list[str]:
    """Names of the tools the request offers."""
    return [str(t.get("name", "")) for t in body.get("tools") or [] if isinstance(t, dict)]


def conversation_turn(body: Mapping[str, Any]) -> int:
    """How many assistant turns the conversation already holds."""
    return sum(1 for m in body.get("messages") or [] if m.get("role") == "assistant")


def validate_messages_body(body: Any) -> None:
    """Refuse what the Messages API refuses: missing fields and unanswered tool calls."""
    if not isinstance(body, dict):
        raise InvalidRequestError("request body must be a JSON object")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise InvalidRequestError(f"{name}: Field required")
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
        raise InvalidRequestError("max_tokens: must be a positive integer")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise InvalidRequestError("messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise InvalidRequestError(f"messages.{i}.role: must be 'user' or 'assistant'")
        _check_content(i, message, is_last=i == len(messages) - 1)
    _check_tool_pairs(messages)


def _check_content(index: int, message: dict[str, Any], *, is_last: bool) -> None:
    content = message.get("content")
    if not content and not (is_last and message["role"] == "assistant"):
        raise InvalidRequestError(
            f"messages.{index}: all messages must have non-empty content except for the "
            "optional final assistant message"
        )
    if isinstance(content, list):
        for j, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") == "text" and not block.get("text"):
                raise InvalidRequestError(
                    f"messages.{index}.content.{j}.text: text content blocks must be non-empty"
                )


def _ids(message: Mapping[str, Any], kind: str, key: str) -> list[str]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [str(b.get(key)) for b in content if isinstance(b, dict) and b.get("type") == kind]


def _check_tool_pairs(messages: list[dict[str, Any]]) -> None:
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        uses = _ids(message, "tool_use", "id")
        if not uses:
            continue
        following = messages[i + 1] if i + 1 < len(messages) else None
        if following is None:
            continue  # a trailing assistant turn is a prefill; nothing to answer yet
        answered = set(_ids(following, "tool_result", "tool_use_id"))
        missing = [u for u in uses if u not in answered]
        if missing:
            raise InvalidRequestError(
                f"messages.{i + 1}: tool_use ids were found without tool_result blocks "
                f"immediately after: {', '.join(missing)}"
            )


class ScriptedModel:
    """Answers Messages API requests from a script, with usage, caching, faults and a log."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.log = RequestLog()
        self.cache = PromptCache(
            min_cacheable_tokens=script.min_cacheable_tokens,
            ttl=script.cache.ttl_seconds,
            lookback=script.cache.lookback_blocks,
        )
        itpm = script.rate_limits.input_tokens_per_minute
        self.input_window = InputTokenWindow(itpm) if itpm is not None else None
        self.signer = ThinkingSigner(secrets.token_bytes(16))
        self._lock = threading.Lock()
        self._answers = [0] * len(script.turns)
        self._faults = [0] * len(script.turns)
        self._rng = random.Random(script.faults.seed)
        self._ids = itertools.count(1)

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_scripted{next(self._ids):08d}"

    def is_authorised(self, headers: Mapping[str, str]) -> bool:
        """Whether the request carries the key the script asks for (any key if none set)."""
        key = headers.get("x-api-key") or ""
        if not key and headers.get("authorization", "").lower().startswith("bearer "):
            key = headers["authorization"][7:]
        return key == self.script.api_key if self.script.api_key else bool(key)

    def answer(self, path: str, body: Any, headers: Mapping[str, str]) -> Answer:
        """Answer one ``POST /v1/messages`` request and record it."""
        outcome, turn_name = self._decide(body, headers)
        if isinstance(outcome, ErrorReply):
            status, error_type, usage = outcome.status, outcome.body["error"]["type"], None
        elif isinstance(outcome, RawReply):
            status, error_type, usage = outcome.raw.status, None, None
        else:
            status, error_type, usage = 200, None, outcome.message["usage"]
        self.log.record(
            path=path,
            stream=isinstance(body, dict) and bool(body.get("stream")),
            headers=redact_headers(headers),
            body=body,
            status=status,
            turn=turn_name,
            conversation_turn=_conversation_turn_or_none(body),
            error_type=error_type,
            usage=usage,
        )
        return outcome

    def reject(
        self, path: str, headers: Mapping[str, str], status: int, message: str
    ) -> ErrorReply:
        """Refuse a request that never reached the script (too large, not JSON), and log it."""
        reply = ErrorReply(status, error_body(status, message, self._new_id("req")))
        self.log.record(
            path=path,
            stream=False,
            headers=redact_headers(headers),
            body=None,
            status=status,
            error_type=reply.body["error"]["type"],
        )
        return reply

    def _decide(self, body: Any, headers: Mapping[str, str]) -> tuple[Answer, str | None]:
        request_id = self._new_id("req")
        if not self.is_authorised(headers):
            return ErrorReply(401, error_body(401, "invalid x-api-key", request_id)), None
        try:
            validate_messages_body(body)
        except InvalidRequestError as exc:
            return ErrorReply(400, error_body(400, str(exc), request_id)), None
        altered = self.signer.altered(body)
        if altered is not None:
            message = f"{altered}: Invalid `signature` in `thinking` block"
            return ErrorReply(400, error_body(400, message, request_id)), None
        random_fault = self._random_fault(request_id)
        if random_fault is not None:
            return random_fault, None
        index = self._match(body)
        if index is None:
            message = _no_match_message(body)
            return ErrorReply(400, error_body(400, message, request_id)), None
        turn = self.script.turns[index]
        latency = self.script.latency + turn.latency
        fault = self._rule_fault(index, turn)
        if fault is not None:
            return _fault_reply(fault, request_id, latency), turn.name
        segments = prompt_segments(body)  # tokenised once for the limits and the usage
        refused = self._over_limits(body, segments, request_id)
        if refused is not None:
            return refused, turn.name
        with self._lock:
            self._answers[index] += 1
        if turn.raw is not None:
            return RawReply(turn.raw, latency), turn.name
        begins_in = latency if self.script.cache.readable_from == "response" else 0.0
        return Reply(self._message(body, segments, turn, begins_in), latency), turn.name

    def _over_limits(
        self, body: dict[str, Any], segments: list[Segment], request_id: str
    ) -> ErrorReply | None:
        """A 400 for a prompt over the context window, a 429 over the input-token limit."""
        model = self.script.model or str(body["model"])
        total = sum(s.tokens for s in segments)
        window = self.script.context_window
        if window is not None and total > window:
            message = f"prompt is too long: {total} tokens > {window} maximum"
            return ErrorReply(400, error_body(400, message, request_id))
        if self.input_window is None:
            return None
        fits, headers = self.input_window.admit(total - self.cache.peek(model, segments))
        if fits:
            return None
        message = _DEFAULT_MESSAGES[429]
        return ErrorReply(429, error_body(429, message, request_id), headers)

    def _random_fault(self, request_id: str) -> ErrorReply | None:
        rates = self.script.faults
        if rates.rate <= 0:
            return None
        with self._lock:
            hit = self._rng.random() < rates.rate
            status = self._rng.choice(rates.statuses) if hit else 0
        if not hit:
            return None
        fault = Fault(status=status, retry_after=rates.retry_after)
        return _fault_reply(fault, request_id, self.script.latency)

    def _rule_fault(self, index: int, turn: Turn) -> Fault | None:
        if turn.fault is None:
            return None
        with self._lock:
            if turn.fault.times is not None and self._faults[index] >= turn.fault.times:
                return None
            self._faults[index] += 1
        return turn.fault

    def _match(self, body: dict[str, Any]) -> int | None:
        # A role is named in the system prompt or at the start of the conversation (specbot
        # opens the first message with the role's instructions).
        system = f"{system_text(body)}\n{first_user_text(body)}".casefold()
        offered = set(tool_names(body))
        last_user = last_user_text(body)
        turn_index = conversation_turn(body)
        with self._lock:
            for i, turn in enumerate(self.script.turns):
                cond = turn.when
                if turn.times is not None and self._answers[i] >= turn.times:
                    continue
                if self._is_spent_fault(i, turn):
                    continue
                if cond.role is not None and cond.role.casefold() not in system:
                    continue
                if not offered.issuperset(cond.tools):
                    continue
                if cond.last_user_contains is not None and cond.last_user_contains not in last_user:
                    continue
                if cond.turn is not None and cond.turn != turn_index:
                    continue
                return i
        return None

    def _is_spent_fault(self, index: int, turn: Turn) -> bool:
        # A fault-only turn stops matching once it has failed its ``times`` requests.
        fault = turn.fault
        return (
            not turn.reply
            and fault is not None
            and fault.times is not None
            and self._faults[index] >= fault.times
        )

    def _message(
        self, body: dict[str, Any], segments: list[Segment], turn: Turn, begins_in: float
    ) -> dict[str, Any]:
        content = self._content(body, turn)
        model = self.script.model or str(body["model"])
        split = self.cache.account(model, segments, begins_in=begins_in)
        output = max(1, sum(count_text_tokens(block_text(b)) for b in content))
        stop_reason = turn.resolved_stop_reason()
        room = body["max_tokens"]
        window = self.script.context_window
        if window is not None:
            room = min(room, window - sum(s.tokens for s in segments))
        cut = cut_at(content, max(0, room))
        if cut is not None:
            content, output = cut
            full = room < body["max_tokens"]
            stop_reason = "model_context_window_exceeded" if full else "max_tokens"
        return {
            "id": self._new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": split.input_tokens,
                "cache_creation_input_tokens": split.cache_creation_input_tokens,
                "cache_read_input_tokens": split.cache_read_input_tokens,
                "output_tokens": output,
            },
        }

    def _content(self, body: dict[str, Any], turn: Turn) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = []
        thinking = thinking_enabled(body)
        for block in turn.reply:
            if block.text is not None:
                content.append({"type": "text", "text": block.text})
            elif block.thinking is not None:
                if thinking:  # the API sends thinking only to a request that asked for it
                    signature = self.signer.sign(block.thinking)
                    content.append(
                        {"type": "thinking", "thinking": block.thinking, "signature": signature}
                    )
            elif block.tool_use is not None:
                use = block.tool_use
                tool_id = use.id or self._new_id("toolu")
                content.append(
                    {"type": "tool_use", "id": tool_id, "name": use.name, "input": use.input}
                )
        return content

    def count_tokens(self, body: Any, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer ``POST /v1/messages/count_tokens``: status and JSON body."""
        request_id = self._new_id("req")
        status, answer = 200, {}
        if not self.is_authorised(headers):
            status, answer = 401, error_body(401, "invalid x-api-key", request_id)
        elif not isinstance(body, dict) or "messages" not in body or "model" not in body:
            missing = "model" if isinstance(body, dict) and "model" not in body else "messages"
            status, answer = 400, error_body(400, f"{missing}: Field required", request_id)
        else:
            answer = {"input_tokens": sum(s.tokens for s in prompt_segments(body))}
        self.log.record(
            path="/v1/messages/count_tokens",
            stream=False,
            headers=redact_headers(headers),
            body=body,
            status=status,
            error_type=answer["error"]["type"] if status != 200 else None,
        )
        return status, answer


def _conversation_turn_or_none(body: Any) -> int | None:
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        return conversation_turn(body)
    return None


def _fault_reply(fault: Fault, request_id: str, latency: float) -> ErrorReply:
    message = fault.message or _DEFAULT_MESSAGES.get(fault.status, "Internal server error")
    headers = {} if fault.retry_after is None else {"retry-after": _seconds(fault.retry_after)}
    body = error_body(fault.status, message, request_id)
    return ErrorReply(fault.status, body, headers, latency, in_stream=fault.in_stream)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_DEFAULT_MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit",
    500: "Internal server error",
    529: "Overloaded",
}


def _no_match_message(body: dict[str, Any]) -> str:
    excerpt = last_user_text(body)[:80].replace("\n", " ")
    return (
        "scripted model: no turn matches this request "
        f"(turn {conversation_turn(body)}, tools {tool_names(body)}, "
        f"system starts {system_text(body)[:60]!r}, last user text starts {excerpt!r})"
    )
