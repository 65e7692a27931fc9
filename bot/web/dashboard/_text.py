"""Untrusted values made safe to show: plain printable text, http(s) links only, numbers.

Event payloads come from agents and models. The templates escape every value; these make sure
that what they escape is short printable text, and that a link is never a ``javascript:`` URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_TEXT_CHARS = 300


def safe_link(url: object) -> str | None:
    """``url`` if it is an http(s) address, else None (never a ``javascript:`` link)."""
    if not isinstance(url, str) or len(url) > 2000:
        return None
    cleaned = url.strip()
    if any(not char.isprintable() or char.isspace() for char in cleaned):
        return None  # browsers drop tabs and newlines inside a scheme: "java\tscript:"
    parts = urlsplit(cleaned)
    return cleaned if parts.scheme in ("http", "https") and parts.netloc else None


def plain_text(value: object, limit: int = _TEXT_CHARS) -> str:
    """``value`` as one printable text, cut to ``limit`` (control characters become spaces)."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    text = "".join(char if char.isprintable() or char in "\n\t" else " " for char in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: object) -> float:
    """``value`` if it is a number (not a bool), else 0."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
