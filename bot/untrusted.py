"""Prepare issue and comment text for a model: sanitised, redacted and clearly delimited.

Text written on GitHub is data, never instructions. Before it reaches a prompt it loses what a
human reader of the rendered issue would not see (HTML comments, invisible and bidirectional
control characters, hidden HTML, Markdown comment tricks), any credential-looking token is
redacted, and the result is wrapped in a delimiter block whose closing tag cannot be forged
from inside.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Zero-width, bidi embedding/override/isolate and invisible operator characters: they change
# what a model reads without changing what a reviewer sees on github.com.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# Elements GitHub renders invisibly, with their content.
_HIDDEN_ELEMENT = re.compile(
    r"<(?P<tag>[a-zA-Z][a-zA-Z0-9]*)\b[^>]*?"
    r"(?:\bhidden\b|display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0)"
    r"[^>]*>.*?</(?P=tag)\s*>",
    re.DOTALL | re.IGNORECASE,
)
# ``[//]: # (text)`` and friends: link reference definitions that never render.
_MARKDOWN_COMMENT = re.compile(
    r"^ {0,3}\[(?://|comment|_)\]:\s*#?\s*(?:\(.*\)|\".*\"|'.*')?\s*$", re.MULTILINE | re.IGNORECASE
)
_SECRET_PATTERNS = (
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bsk-ant-[A-Za-z0-9_-]{16,}\b"),
    re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
    ),
)
REDACTED = "[REDACTED]"


def redact_secrets(text: str) -> str:
    """Replace every credential-looking token in ``text`` with ``[REDACTED]``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def sanitise(text: str | None) -> str:
    """What a human sees of ``text`` on GitHub, minus credentials: safe to show a model."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _HIDDEN_ELEMENT.sub("", text)
    text = _MARKDOWN_COMMENT.sub("", text)
    return redact_secrets(text)


_DELIMITER = re.compile(r"<(/?)\s*untrusted", re.IGNORECASE)


def delimit(text: str | None, source: str, *, clean: bool = True) -> str:
    r"""Wrap ``text`` as an ``<untrusted source="...">`` block for a prompt.

    ``clean=True`` (issue and comment text) sanitises it first; ``clean=False`` keeps code and
    diffs byte for byte, so that a reviewer can still see a hidden-character attack in them.
    Either way, a delimiter tag inside the text is defused (``<\/untrusted``) so the text
    cannot end the block early and speak as the system.
    """
    body = sanitise(text) if clean else (text or "")
    body = _DELIMITER.sub(lambda match: "<\\" + match.group(1) + "untrusted", body)
    return f'<untrusted source="{html.escape(source, quote=True)}">\n{body}\n</untrusted>'
