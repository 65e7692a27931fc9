"""Model-written text made inert before specbot posts it on GitHub (pure, no I/O).

Whatever a model writes (a finding's path, category, message or suggestion, a plan, an answer,
a summary) is data: it is shown, but it must not act. On GitHub, text acts when it mentions
someone (``@user``, ``@org/team`` notify), references an issue or pull request (``#12``,
``GH-12``, ``owner/repo#12`` and issue URLs add a back-link to that thread, and ``Closes #12``
closes it on merge), or opens HTML that hides what follows (an unclosed ``<!--``) or a code
fence that swallows the rest of the comment. Every field of every comment, review, check run and
pull-request body goes through these functions:

- ``inert_text`` for prose: a zero-width space after ``@``, after ``#``/``GH-``/``issues/``
  before a number, after ``<`` (no tag, no comment, no autolink) and after ``&`` of an entity
  (``&#64;`` would decode to ``@``). The text looks the same and keeps its Markdown; a text
  that can open a code fence is put in a block quote, which closes any fence it leaves open.
- ``inert_line`` for a short label inside specbot's own line: one line, inline markup escaped.
- ``code_span`` and ``suggestion_block`` build code safely: a delimiter longer than any
  backtick run inside, so nothing can close it early.
- ``fit`` keeps a text within one of GitHub's limits.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"  # invisible, and not a character GitHub links mentions or references through
GITHUB_BODY_LIMIT = 65_536  # comment, review and pull-request bodies (characters)
CHECK_TEXT_LIMIT = 65_535  # a check run's output summary and text
ANNOTATION_TITLE_LIMIT = 255  # characters
ANNOTATION_BYTES_LIMIT = 64_000  # message and raw_details: GitHub says 64 KB (UTF-8 bytes)
CUT_NOTE = "\n\n_…cut to fit GitHub's limit._"

_LINE_BREAK = re.compile(r"\r\n?")
# A character GitHub reads as starting a mention, a reference or markup, and the defused form.
_ACTIVE = re.compile(
    r"@"  # @user, @org/team
    r"|#(?=\d)"  # #12, owner/repo#12
    r"|(?<![A-Za-z0-9])GH-(?=\d)"  # GH-12
    r"|(?<=/)(?:issues|pull|pulls|discussions)/(?=\d)"  # https://github.com/o/r/issues/12
    r"|<"  # <!-- comment, <tag>, <https://autolink>
    r"|&(?=#|[A-Za-z][A-Za-z0-9]*;)",  # &#64; &commat; decode to @ after rendering
    re.IGNORECASE,
)
_FENCE = re.compile(r"```|~~~")
# What could reach past a label inside specbot's line: emphasis, code, links, HTML, cells.
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>|~])")
_BACKTICKS = re.compile(r"`+")


def _defuse(text: str) -> str:
    return _ACTIVE.sub("\\g<0>" + ZWSP, text)


def inert_text(text: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """Model prose as Markdown that shows the same but cannot notify, link, hide or spill over.

    Callers put the result in a block of its own (a blank line before and after it).
    """
    lines = _LINE_BREAK.sub("\n", text).split("\n")
    defused = [_defuse(line) for line in lines]
    if _FENCE.search(text):
        # Inside a block quote a code fence ends with the quote, so it cannot swallow what
        # specbot writes after it (later findings, the checklist).
        defused = [f"> {line}" if line else ">" for line in defused]
    return fit("\n".join(defused), limit)


def inert_line(text: str, limit: int = 200) -> str:
    """A short model-written label (a category, a title) for inside one of specbot's lines."""
    flat = " ".join(_LINE_BREAK.sub("\n", text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _defuse(_INLINE_MARKUP.sub(r"\\\1", flat))


def inert_plain(text: str) -> str:
    """Model text for where GitHub shows plain text and still links (annotations, commits)."""
    return _defuse(_LINE_BREAK.sub("\n", text))


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code_span(text: str) -> str:
    """``text`` as one inline code span, whatever backticks or line breaks it holds."""
    flat = _LINE_BREAK.sub("\n", text).replace("\n", " ")
    fence = "`" * (_longest_run(flat) + 1)
    if not flat.strip(" "):
        return f"{fence}{flat or ' '}{fence}"
    # CommonMark strips one space on each side, so a backtick at an edge needs a space there.
    padded = flat[0] in "` " or flat[-1] in "` "
    return f"{fence} {flat} {fence}" if padded else f"{fence}{flat}{fence}"


def suggestion_block(text: str, info: str = "suggestion") -> str:
    """A ``suggestion`` fence around ``text``: a fence longer than any backtick run inside."""
    body = _LINE_BREAK.sub("\n", text).rstrip("\n")
    fence = "`" * max(3, _longest_run(body) + 1)
    return f"{fence}{info}\n{body}\n{fence}" if body else f"{fence}{info}\n{fence}"


def code_block(text: str) -> str:
    """A plain code fence around ``text`` (shown as code, never applied as a suggestion)."""
    return suggestion_block(text, info="")


def fit(text: str, limit: int, note: str = CUT_NOTE) -> str:
    """``text`` cut with a note so that it is at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(note))] + note


def fit_bytes(text: str, limit: int = ANNOTATION_BYTES_LIMIT) -> str:
    """``text`` cut at a character boundary so that its UTF-8 form is at most ``limit`` bytes."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = CUT_NOTE.encode("utf-8")
    return data[: max(0, limit - len(note))].decode("utf-8", "ignore") + CUT_NOTE
