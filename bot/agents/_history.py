"""The conversation an agent sends back each turn: notes added to it, old tool output cleared.

A long session must not carry every file it ever viewed into every later call. Old tool
results are replaced by a one-line placeholder, keeping the newest few whole (as SWE-agent
does), and only in batches when the context passes a threshold, so the cached prefix changes
rarely. Assistant turns are never changed: thinking blocks must go back exactly as received.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from string import Template
from typing import Any

CHARS_PER_TOKEN = 4  # a rough estimate, used only between two calls' measured usage


@functools.cache
def note_template(name: str) -> Template:
    """The note ``prompts/_<name>.md`` as a template (data, not code)."""
    text = resources.files("bot.agents").joinpath(f"prompts/_{name}.md").read_text("utf-8")
    return Template(text.strip())


def note(name: str, **values: object) -> str:
    """The note ``name`` with its placeholders filled."""
    return note_template(name).substitute({key: str(value) for key, value in values.items()})


def add_user_text(messages: list[dict[str, Any]], text: str) -> None:
    """Add ``text`` to the last user turn, or start a user turn after an assistant one."""
    if messages and messages[-1].get("role") == "user":
        last = messages[-1]
        content = last.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        messages[-1] = {**last, "content": [*list(blocks or []), {"type": "text", "text": text}]}
        return
    messages.append({"role": "user", "content": [{"type": "text", "text": text}]})


def estimated_tokens(messages: list[dict[str, Any]]) -> int:
    """A rough token count of some messages (characters of their JSON over four)."""
    return len(json.dumps(messages, ensure_ascii=False)) // CHARS_PER_TOKEN


def _tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for message in messages:
        if message.get("role") != "assistant" or not isinstance(message.get("content"), list):
            continue
        for block in message["content"]:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                names[str(block.get("id"))] = str(block.get("name"))
    return names


def clear_old_tool_results(
    messages: list[dict[str, Any]], keep_last: int, keep_tools: frozenset[str] = frozenset()
) -> int:
    """Replace the content of all but the newest ``keep_last`` tool results; return how many.

    The first message (the task) is never touched, nor results of ``keep_tools``.
    """
    names = _tool_names(messages)
    places: list[tuple[int, int]] = []
    for index, message in enumerate(messages[1:], start=1):
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, list):
            continue
        for position, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                places.append((index, position))
    cleared = 0
    for index, position in places[: max(0, len(places) - keep_last)]:
        block = messages[index]["content"][position]
        tool = names.get(str(block.get("tool_use_id")), "a tool")
        text = note("cleared", tool=tool)
        if tool in keep_tools or block.get("content") == text:
            continue
        content = list(messages[index]["content"])
        content[position] = {**block, "content": text}
        messages[index] = {**messages[index], "content": content}
        cleared += 1
    return cleared
