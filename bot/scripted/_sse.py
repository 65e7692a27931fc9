"""A Message as the server-sent events Anthropic streams when a request asks for ``stream``.

Order (https://docs.anthropic.com/en/api/messages-streaming): ``message_start`` with empty
content, then per block ``content_block_start``, deltas (``text_delta``, ``input_json_delta``,
or ``thinking_delta`` pieces then one ``signature_delta``) and ``content_block_stop``, with a
``ping`` after the first block starts;
then ``message_delta`` carrying the stop reason and cumulative ``usage``, then ``message_stop``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# Deltas are cut at word boundaries, so a text arrives in several small pieces as it does live.
_PIECE = re.compile(r"\S+\s*|\s+")
_JSON_PIECE = 16


def sse_event(name: str, data: dict[str, Any]) -> bytes:
    """One server-sent event: an ``event:`` line, a ``data:`` line and a blank line."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {payload}\n\n".encode()


def _text_pieces(text: str) -> list[str]:
    return _PIECE.findall(text) or [""]


def _json_pieces(value: Any) -> list[str]:
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return [encoded[i : i + _JSON_PIECE] for i in range(0, len(encoded), _JSON_PIECE)]


def _block_events(index: int, block: dict[str, Any]) -> Iterator[bytes]:
    start: dict[str, Any]
    if block["type"] == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _text_pieces(block["text"])]
    elif block["type"] == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            *({"type": "thinking_delta", "thinking": p} for p in _text_pieces(block["thinking"])),
            {"type": "signature_delta", "signature": block["signature"]},
        ]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": p} for p in _json_pieces(block["input"])
        ]
    yield sse_event(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": start},
    )
    if index == 0:
        yield sse_event("ping", {"type": "ping"})
    for delta in deltas:
        yield sse_event(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )
    yield sse_event("content_block_stop", {"type": "content_block_stop", "index": index})


def message_events(message: dict[str, Any]) -> Iterator[bytes]:
    """The events that stream ``message`` (a complete Message object as JSON)."""
    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 1}
    opening: dict[str, Any] = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    yield sse_event("message_start", {"type": "message_start", "message": opening})
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    yield sse_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
    yield sse_event("message_stop", {"type": "message_stop"})


def failed_stream_events(message_id: str, model: str, body: dict[str, Any]) -> Iterator[bytes]:
    """A stream that starts and then fails with an ``error`` event (an overload mid-stream)."""
    usage = {"input_tokens": 0, "output_tokens": 0}
    opening: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    yield sse_event("message_start", {"type": "message_start", "message": opening})
    yield sse_event("error", {"type": "error", "error": body["error"]})
