"""Where a change lives (CTX-001): the v0.1 anchors plus those of RUBRIC.md v0.2 section 0.2.

A CLI invocation (in prose, inline code or a shell fence), a ``path:line`` reference, a named
flag, a class or exception name and the product's CLI all say where a change lives as well as
a route or a file path does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.spec._normalise import Fence, Normalised
from bot.spec._signals import has_location_anchor

# "report-cli -r FAKE", "tool.py --flag": a command name with a separator, then a flag.
_PROSE_COMMAND = re.compile(r"(?<![\w/-])[a-z][\w]*[-_.][\w.-]*[ \t]+--?[A-Za-z]")
# A line that is a command: "curl -I http://...", "zapata generate x.rb --single".
_COMMAND_LINE = re.compile(r"[ \t]*[a-z][\w.-]*(?:[ \t]+[^\s-]\S*){0,3}[ \t]+--?[A-Za-z]")
# A shell prompt then a command: "$ felt --config", "[root@host ~]# report-cli", "% zimports x".
_PROMPT = re.compile(r"(?:^|[\s\]])[$%#>][ \t]+[a-z][\w.-]*[ \t]+\S", re.MULTILINE)
# "path/file.py:133", "file.py#L207" (a GitHub link to a line).
_PATH_LINE = re.compile(r"[\w/.-]*\w\.[A-Za-z]{1,10}(?::\d+|#L\d+)")
# A traceback frame: File "x.py", line 207.
_FRAME = re.compile(r"File \"[^\"\n]+\", line \d+")
# A named exception type in prose: IndexError, ValueError, NullPointerException.
_EXCEPTION = re.compile(r"(?<![\w.])[A-Z][A-Za-z0-9]*(?:Error|Exception)(?!\w)")
_CLI = re.compile(r"(?<![\w-])CLI(?![\w-])")
# A long flag named in prose: "tool show --output json", "pass --dry-run".
_LONG_FLAG = re.compile(r"(?:^|(?<=[\s(]))--[a-z][\w-]+")
_INLINE = re.compile(r"`([^`\n]+)`")
# A flag, or a class or exception name alone in inline code.
_NAMED_IN_CODE = re.compile(r"--?[A-Za-z][\w-]*(?:[ =]\S+)?|[A-Z][A-Za-z0-9_]+")
_SHELL_TAGS = frozenset(
    {"sh", "bash", "shell", "console", "zsh", "fish", "pwsh", "powershell", "ps", "cmd", "bat"}
)
_SHELL_LINE = re.compile(r"[ \t]*(?:[$%#>][ \t]+)?[a-z][\w.-]*(?:[ \t]+\S+)+")


def line_has_anchor(text: str) -> bool:
    """True when one content line (outside fences) says where the change lives."""
    if has_location_anchor(text):
        return True
    if "-" in text and (
        _PROSE_COMMAND.search(text) or _COMMAND_LINE.match(text) or _LONG_FLAG.search(text)
    ):
        return True
    if any(mark in text for mark in "$%#>") and _PROMPT.search(text):
        return True
    if (":" in text or "#L" in text) and _PATH_LINE.search(text):
        return True
    if ("Error" in text or "Exception" in text) and _EXCEPTION.search(text):
        return True
    if "CLI" in text and _CLI.search(text):
        return True
    return "`" in text and any(
        _NAMED_IN_CODE.fullmatch(code.strip()) for code in _INLINE.findall(text)
    )


_REQUEST = re.compile(r"(?<![\w])(?:GET|POST|PUT|PATCH|DELETE|HEAD)[ \t]+/")
_INVOCATION_IN_CODE = re.compile(r"(?:[$%#>][ \t]+)?[a-z][\w.-]*(?:[ \t]+\S+)*[ \t]+--?[A-Za-z]")


def is_command_or_request(text: str) -> bool:
    """A line that reproduces something: a command, a prompt line, a request, a ``path:line``."""
    if "-" in text and (_PROSE_COMMAND.search(text) or _COMMAND_LINE.match(text)):
        return True
    if any(mark in text for mark in "$%#>") and _PROMPT.search(text):
        return True
    if (":" in text or "#L" in text) and _PATH_LINE.search(text):
        return True
    if _REQUEST.search(text):
        return True
    return "`" in text and any(
        _INVOCATION_IN_CODE.match(code.strip()) or code.strip().startswith("-")
        for code in _INLINE.findall(text)
    )


def fence_has_anchor(fence: Fence) -> bool:
    """A shell command, a prompt line, a traceback frame or a ``path:line`` in a fence."""
    body = fence.body
    if fence.tag in _SHELL_TAGS and any(
        _SHELL_LINE.fullmatch(line) and not line.lstrip().startswith("#")
        for line in body.splitlines()
    ):
        return True
    if _PROMPT.search(body) or _FRAME.search(body):
        return True
    return _PATH_LINE.search(body) is not None


def is_anchored(norm: Normalised, lines: Sequence[str] | None = None) -> bool:
    """True when the body names where its change lives (RUBRIC CTX-001, v0.2)."""
    content = norm.content_lines if lines is None else lines
    in_fence = norm.in_fence
    if any(
        text and not in_fence[index] and line_has_anchor(text) for index, text in enumerate(content)
    ):
        return True
    return any(fence_has_anchor(fence) for fence in norm.fences)
