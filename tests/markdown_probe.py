"""What GitHub would make of a Markdown body, read with a CommonMark parser (markdown-it-py).

GitHub renders with cmark-gfm, a CommonMark implementation: the block structure, HTML and
code spans parsed here are the ones GitHub sees. Mentions and references are found in the
rendered text, as GitHub's filters find them after rendering (so ``&#64;bob`` counts).
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark").enable("table")
# specbot's own hidden markers, whole, on a line of their own: the only HTML it may post.
_OWN_MARKER = re.compile(r"<!-- specbot:[a-z-]+(?:[: ][^\s<>]+)? -->\n?")
_TAG = re.compile(r"<[^>]*>")
_CODE = re.compile(r"<(pre|code)>.*?</\1>", re.DOTALL)  # GitHub links nothing in code
LIVE_MENTION = re.compile(r"(?<![A-Za-z0-9_`])@[A-Za-z0-9]")
LIVE_REFERENCE = re.compile(
    r"(?<![A-Za-z0-9&])#\d|\bGH-\d|/(?:issues|pull|pulls|discussions)/\d", re.IGNORECASE
)


def blocks(markdown: str) -> list[Token]:
    """The top-level and nested block tokens."""
    return _MD.parse(markdown)


def foreign_html(markdown: str) -> list[str]:
    """HTML that would reach GitHub's renderer, other than specbot's own markers."""
    found: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "html_block" and not _OWN_MARKER.fullmatch(token.content):
            found.append(token.content)
        for child in token.children or []:
            if child.type == "html_inline":
                found.append(child.content)
    return found


def rendered_text(markdown: str) -> str:
    """The text a reader sees (entities decoded, tags gone), where mention filters run."""
    return html.unescape(_TAG.sub(" ", _MD.render(markdown)))


def live_mentions(markdown: str) -> list[str]:
    """``@login`` and ``#12``-style references GitHub would link or notify (not in code)."""
    text = html.unescape(_TAG.sub(" ", _CODE.sub(" ", _MD.render(markdown))))
    return LIVE_MENTION.findall(text) + LIVE_REFERENCE.findall(text)


def last_block_is_paragraph(markdown: str, text: str) -> bool:
    """True when ``markdown`` ends with a top-level paragraph reading exactly ``text``."""
    tokens = _MD.parse(markdown)
    return (
        len(tokens) >= 3
        and tokens[-3].type == "paragraph_open"
        and tokens[-3].level == 0
        and tokens[-2].content == text
    )
