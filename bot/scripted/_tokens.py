"""Deterministic token counting and a prompt cache that behaves like Anthropic's.

Counting: one token per word (``\\w+``) and one per punctuation character, over the text a block
carries (tool definitions and tool inputs as canonical JSON). Not the real tokenizer, but
reproducible, so tests can predict ``usage`` exactly.

Caching: the prompt is the sequence tools, then system blocks, then message blocks. A block with
``cache_control`` (or the last message block when the request has a top-level ``cache_control``)
is a breakpoint. As Anthropic's does, a breakpoint reads the longest prefix already cached that
ends on a block boundary at most ``lookback`` blocks before it (20 by default), and each
breakpoint writes the prefix ending there; the tokens billed as written are those of the longest
written prefix beyond what was read. An entry becomes readable only once the response that wrote
it has begun (a request arriving earlier misses it), and lives ``ttl`` seconds from its last use.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_text_tokens(text: str) -> int:
    """Tokens in a text: words and punctuation characters."""
    return len(_TOKEN.findall(text))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _without_cache_control(block: Any) -> Any:
    if isinstance(block, dict):
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def block_text(block: Any) -> str:
    """The text a content block carries, for counting and matching."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return _canonical(block)
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "thinking":  # its words count; the signature is not text the model wrote
        return str(block.get("thinking", ""))
    if kind == "tool_use":
        return f"{block.get('name', '')} {_canonical(block.get('input', {}))}"
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return "\n".join(block_text(part) for part in content)
        return str(content)
    return _canonical(_without_cache_control(block))


@dataclass(frozen=True)
class Segment:
    """One block of the prompt in cache order."""

    material: str
    tokens: int
    breakpoint: bool


def _system_blocks(system: Any) -> list[Any]:
    if system is None:
        return []
    if isinstance(system, str):
        return [{"type": "text", "text": system}] if system else []
    return list(system)


def _message_blocks(message: dict[str, Any]) -> list[Any]:
    content = message.get("content", "")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content)


def prompt_segments(body: dict[str, Any]) -> list[Segment]:
    """The request's prompt as segments in cache order (tools, system, messages)."""
    segments: list[Segment] = []
    for tool in body.get("tools") or []:
        material = _canonical(_without_cache_control(tool))
        segments.append(Segment(material, count_text_tokens(material), _marked(tool)))
    for block in _system_blocks(body.get("system")):
        segments.append(_block_segment("system", block))
    for message in body.get("messages") or []:
        role = str(message.get("role", ""))
        segments.extend(_block_segment(role, block) for block in _message_blocks(message))
    if body.get("cache_control") and segments:
        last = segments[-1]
        segments[-1] = Segment(last.material, last.tokens, True)
    return segments


def _marked(block: Any) -> bool:
    return isinstance(block, dict) and bool(block.get("cache_control"))


def _block_segment(role: str, block: Any) -> Segment:
    text = block_text(block)
    material = f"{role}:{_canonical(_without_cache_control(block))}"
    return Segment(material, count_text_tokens(text), _marked(block))


@dataclass(frozen=True)
class InputUsage:
    """How a request's input tokens split between fresh, cache-write and cache-read."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


class PromptCache:
    """Prefix hashes of prompts written with ``cache_control``, shared by every request."""

    def __init__(
        self,
        *,
        min_cacheable_tokens: int = 0,
        ttl: float = 300.0,
        lookback: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._min = min_cacheable_tokens
        self._ttl = ttl
        self._lookback = lookback
        self._clock = clock
        # prefix hash -> (readable from, expires at)
        self._entries: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def account(self, model: str, segments: list[Segment], *, begins_in: float = 0.0) -> InputUsage:
        """Split the input tokens of one request, recording the prefixes it writes.

        ``begins_in``: seconds until this response begins; what it writes is readable from then.
        """
        total = sum(s.tokens for s in segments)
        prefixes = self._prefixes(model, segments)
        if not prefixes:
            return InputUsage(total, 0, 0)
        now = self._clock()
        with self._lock:
            read = self._read(prefixes, now)
            # Every breakpoint writes its prefix; what is billed as written is the part of the
            # longest one that was not read.
            written_upto = read
            for key, tokens, is_breakpoint in prefixes:
                if is_breakpoint and tokens >= self._min:
                    readable = now + begins_in
                    if key in self._entries:
                        readable = min(readable, self._entries[key][0])
                    self._entries[key] = (readable, now + begins_in + self._ttl)
                    written_upto = max(written_upto, tokens)
        written = written_upto - read
        return InputUsage(total - read - written, written, read)

    def peek(self, model: str, segments: list[Segment]) -> int:
        """Tokens a request would read from the cache now, without writing anything."""
        prefixes = self._prefixes(model, segments)
        with self._lock:
            return self._read(prefixes, self._clock(), refresh=False) if prefixes else 0

    def _prefixes(self, model: str, segments: list[Segment]) -> list[tuple[str, int, bool]]:
        last_breakpoint = max((i for i, s in enumerate(segments) if s.breakpoint), default=-1)
        hasher = hashlib.sha256(model.encode())
        prefixes: list[tuple[str, int, bool]] = []
        running = 0
        for segment in segments[: last_breakpoint + 1]:
            hasher.update(b"\x00" + segment.material.encode())
            running += segment.tokens
            prefixes.append((hasher.hexdigest(), running, segment.breakpoint))
        return prefixes

    def _read(self, prefixes: list[tuple[str, int, bool]], now: float, refresh: bool = True) -> int:
        """The longest live prefix within the lookback of some breakpoint; refreshes its TTL."""
        breakpoints = [i for i, (_, _, is_breakpoint) in enumerate(prefixes) if is_breakpoint]
        best: tuple[str, int] | None = None
        for point in breakpoints:
            for index in range(point, max(-1, point - self._lookback - 1), -1):
                key, tokens, _ = prefixes[index]
                entry = self._entries.get(key)
                if entry is None or not entry[0] <= now < entry[1]:
                    continue
                if best is None or tokens > best[1]:
                    best = (key, tokens)
                break  # the nearest hit before this breakpoint is the longest it can read
        if best is None:
            return 0
        if refresh:
            readable, _ = self._entries[best[0]]
            self._entries[best[0]] = (readable, now + self._ttl)
        return best[1]
