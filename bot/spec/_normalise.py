"""Normalise an issue body: one text, one line numbering, comments and code fences located.

Steps follow RUBRIC.md section 2, in one linear scan. Comments and fences are found in document
order, as GitHub renders them: a ``<!--`` inside a code fence is code, and a fence inside a
comment is comment (the rubric's "comments first, then fences" order would let one
``<!--`` in a fenced HTML example hide the rest of the spec).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Zero-width, bidi embeddings/overrides/isolates and invisible operators (RUBRIC 2.1).
_HIDDEN_CHARS = (
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2065)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff"]
)
_HIDDEN_RE = re.compile("[" + "".join(_HIDDEN_CHARS) + "]")
_DELETE_HIDDEN = {ord(c): None for c in _HIDDEN_CHARS}
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)")
GHERKIN_TAGS = frozenset({"gherkin", "cucumber", "feature"})


@dataclass(slots=True)
class Fence:
    """A fenced code block: its tag, where it starts and ends, and its body."""

    tag: str
    open_line: int
    close_line: int
    body: str


@dataclass(slots=True)
class Normalised:
    """The body after RUBRIC 2.1-2.4, with line numbers preserved (index 0 is line 1)."""

    empty_body: bool
    raw_lines: list[str]
    content_lines: list[str]
    in_fence: list[bool]
    fence_masked: list[bool]
    hidden_lines: list[int] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def coerce_body(body: str | bytes | None) -> str:
    """Any body as UTF-8 text: ``None`` is empty, bad bytes and lone surrogates become U+FFFD.

    A lone surrogate (e.g. from a ``"\\ud800"`` escape in a JSON payload) is not UTF-8; left
    in, it would make every excerpt containing it impossible to print or post.
    """
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", body)
    return body


def normalise(body: str | bytes | None) -> Normalised:
    """Normalise a body (RUBRIC section 2) in linear time."""
    text = coerce_body(body)
    empty_body = text.strip() == ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = unicodedata.normalize("NFC", text)
    raw_lines = text.split("\n")
    hidden: list[int] = []
    if _HIDDEN_RE.search(text):
        for index, line in enumerate(raw_lines):
            if _HIDDEN_RE.search(line):
                hidden.append(index + 1)
                raw_lines[index] = line.translate(_DELETE_HIDDEN)
    result = Normalised(
        empty_body=empty_body,
        raw_lines=raw_lines,
        content_lines=[""] * len(raw_lines),
        in_fence=[False] * len(raw_lines),
        fence_masked=[False] * len(raw_lines),
        hidden_lines=hidden,
    )
    _scan_comments_and_fences(result)
    return result


def _scan_comments_and_fences(doc: Normalised) -> None:
    """Fill content lines: comments removed, fences located and masked (GitHub's order)."""
    in_comment = False
    fence_char = ""
    fence_len = 0
    fence_tag = ""
    fence_start = 0
    fence_body: list[str] = []
    content_lines, in_fence, fence_masked = doc.content_lines, doc.in_fence, doc.fence_masked
    for index, line in enumerate(doc.raw_lines):
        if fence_char:
            in_fence[index] = True
            if _closes_fence(line, fence_char, fence_len):
                fence_masked[index] = True
                doc.fences.append(Fence(fence_tag, fence_start, index + 1, "\n".join(fence_body)))
                fence_char = ""
                continue
            fence_body.append(line)
            if fence_tag in GHERKIN_TAGS:
                content_lines[index] = line
            else:
                fence_masked[index] = True
            continue
        if in_comment:
            end = line.find("-->")
            if end < 0:
                continue
            in_comment = False
            line = line[end + 3 :]
        else:
            # An opener holds ``` or ~~~: two substring tests reject most lines sooner.
            opener = _FENCE_OPEN.match(line) if "```" in line or "~~~" in line else None
            # A backtick fence's info string holds no backtick (CommonMark): "```$ x```" on one
            # line is inline code, as GitHub renders it, not a fence that hides the rest.
            if opener and opener.group(1)[0] == "`" and "`" in line[opener.end(1) :]:
                opener = None
            if opener:
                fence_char, fence_len = opener.group(1)[0], len(opener.group(1))
                fence_tag, fence_start, fence_body = opener.group(2).lower(), index + 1, []
                in_fence[index] = True
                fence_masked[index] = True
                continue
        if "<!--" in line:  # in_comment is False here: only an opener sets it
            line, in_comment = _strip_comments(line)
        content_lines[index] = line
    if fence_char:  # an unterminated fence runs to the end of the body
        doc.fences.append(Fence(fence_tag, fence_start, len(doc.raw_lines), "\n".join(fence_body)))


def _closes_fence(line: str, char: str, length: int) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    stripped = stripped.rstrip()
    return len(stripped) >= length and stripped == char * len(stripped)


def _strip_comments(line: str) -> tuple[str, bool]:
    """Remove ``<!-- ... -->`` from one line; True when a comment stays open past its end."""
    if "<!--" not in line:
        return line, False
    kept: list[str] = []
    position = 0
    while True:
        start = line.find("<!--", position)
        if start < 0:
            kept.append(line[position:])
            return "".join(kept), False
        kept.append(line[position:start])
        end = line.find("-->", start + 4)
        if end < 0:
            return "".join(kept), True
        position = end + 3
