"""Find ``/specbot <verb>`` commands and ``@specbot`` mentions in comment text (pure).

A command counts only at the start of a line of the comment's own prose: lines inside fenced
code blocks, inline code and quoted replies (``> /specbot run``) never trigger anything, so
quoting someone else's command or documenting one does not start a run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERBS = (
    "run",
    "review",
    "retry",
    "cancel",
    "status",
    "explain",
    "help",
    "approve",
    "answer",
    "apply",
    "waive",
)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMAND = re.compile(r"^ {0,3}/(?P<name>[A-Za-z][\w-]*)(?:[ \t]+(?P<rest>.*))?$")
_INLINE_CODE = re.compile(r"`[^`\n]*`")


@dataclass(frozen=True)
class Command:
    """One command found in a comment: its verb (lower-case) and the rest of the line."""

    verb: str
    argument: str
    line: int

    @property
    def is_known(self) -> bool:
        """True when the verb is one specbot understands."""
        return self.verb in VERBS


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """Lines of ``text`` outside code fences and block quotes, numbered from 1."""
    lines: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        marker = _FENCE.match(line)
        if fence is not None:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
            continue
        if marker:
            fence = marker.group(1)
            continue
        if line.lstrip().startswith(">"):
            continue
        lines.append((number, line))
    return lines


def find_command(text: str | None, bot_name: str = "specbot") -> Command | None:
    """The first ``/<bot_name> <verb> [argument]`` command in ``text``, if any.

    ``/specbot`` alone means ``help``. The verb is returned even when unknown so that the
    caller can answer with the list of commands instead of staying silent.
    """
    if not text:
        return None
    for number, line in _prose_lines(text):
        match = _COMMAND.match(line.rstrip())
        if not match or match.group("name").lower() != bot_name.lower():
            continue
        rest = (match.group("rest") or "").strip()
        verb, _, argument = rest.partition(" ")
        return Command(verb=(verb or "help").lower(), argument=argument.strip(), line=number)
    return None


def mentions(text: str | None, login: str = "specbot") -> bool:
    """True when ``text`` mentions ``@login`` in its own prose (not in code or quotes)."""
    if not text:
        return False
    pattern = re.compile(rf"(?<![\w@/.-])@{re.escape(login)}(?![\w-])", re.IGNORECASE)
    return any(
        pattern.search(_INLINE_CODE.sub("", line)) is not None for _, line in _prose_lines(text)
    )
