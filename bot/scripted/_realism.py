"""What makes the scripted model awkward the way the real one is: output cut at ``max_tokens``
(inside a tool call too), signed thinking that must come back unchanged, and an input-tokens
per-minute limit answered with 429 and ``retry-after``."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from bot.scripted._tokens import block_text, count_text_tokens

WINDOW = 60.0


def cut_at(content: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], int] | None:
    """The content as far as ``limit`` output tokens reach, and its tokens; ``None`` if it fits.

    A text is cut after its last whole word within the limit; a tool call the limit falls in
    keeps its id and name with an input that never arrived (``{}``), as a cut stream leaves it.
    """
    spent = 0
    kept: list[dict[str, Any]] = []
    for block in content:
        tokens = count_text_tokens(block_text(block))
        if spent + tokens <= limit:
            kept.append(block)
            spent += tokens
            continue
        room = limit - spent
        if block["type"] == "text" and room > 0:
            words = block["text"].split(" ")
            while words and count_text_tokens(" ".join(words)) > room:
                words.pop()
            if words:
                kept.append({"type": "text", "text": " ".join(words)})
        elif block["type"] == "tool_use":
            kept.append({**block, "input": {}})
        return kept, limit
    return None


class ThinkingSigner:
    """Signs thinking blocks and refuses requests that send one back altered."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, thinking: str) -> str:
        """The signature of a thinking text."""
        return hmac.new(self._secret, thinking.encode(), hashlib.sha256).hexdigest()

    def altered(self, body: Mapping[str, Any]) -> str | None:
        """Where a thinking block in the history does not match its signature, or ``None``."""
        for i, message in enumerate(body.get("messages") or []):
            content = message.get("content") if isinstance(message, dict) else None
            if message.get("role") != "assistant" or not isinstance(content, list):
                continue
            for j, block in enumerate(content):
                if not isinstance(block, dict) or block.get("type") != "thinking":
                    continue
                expected = self.sign(str(block.get("thinking", "")))
                if not hmac.compare_digest(str(block.get("signature", "")), expected):
                    return f"messages.{i}.content.{j}"
        return None


def thinking_enabled(body: Mapping[str, Any]) -> bool:
    """Whether the request asks for extended thinking."""
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


class InputTokenWindow:
    """Fresh input and cache writes of the last minute, against a per-minute limit."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def admit(self, tokens: int) -> tuple[bool, dict[str, str]]:
        """Count ``tokens`` if they fit in the minute; else refuse with rate-limit headers."""
        with self._lock:
            now = self._clock()
            while self._spent and self._spent[0][0] <= now - WINDOW:
                self._spent.popleft()
            used = sum(n for _, n in self._spent)
            fits = used + tokens <= self.limit or not self._spent
            if fits:
                self._spent.append((now, tokens))
                used += tokens
            wait = self._wait(now, tokens) if not fits else 0.0
        headers = {
            "anthropic-ratelimit-input-tokens-limit": str(self.limit),
            "anthropic-ratelimit-input-tokens-remaining": str(max(0, self.limit - used)),
        }
        if not fits:
            headers["retry-after"] = str(max(1, math.ceil(wait)))
        return fits, headers

    def _wait(self, now: float, tokens: int) -> float:
        """Seconds until enough of the window expires for ``tokens`` to fit."""
        used = sum(n for _, n in self._spent)
        for stamp, spent in self._spent:
            used -= spent
            if used + tokens <= self.limit:
                return stamp + WINDOW - now
        return WINDOW
