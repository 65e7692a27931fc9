"""Known secret values replaced in text, also when encoded: base64, hex and URL-encoded.

Redaction is the second line of defence (the first is that no secret is reachable from an
agent's shell). A command can print a secret transformed rather than verbatim, so each secret
is matched in the forms a shell produces without effort: the value itself and each line of a
multi-line value (a PEM key printed in part), its standard and URL-safe base64 at each of the
three alignments it can have inside a longer base64 stream (``tar c | base64``), wrapped or not,
its hexadecimal (either case, wrapped or not) and its URL encoding.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"
MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words
_MIN_FORM_CHARS = 8  # an encoded fragment shorter than this matches by chance
_MIN_LINE_CHARS = 16  # a line of a multi-line secret (a PEM key's base64 body)
# base64 and hex tools wrap their output (base64 at 76 columns, xxd -p at 60): such a run of
# lines is also searched with its line breaks removed.
_WRAPPED_RUN = re.compile(r"(?m)^[A-Za-z0-9+/=_-]++(?:\r?\n[A-Za-z0-9+/=_-]++)+")
_LINE_BREAK = re.compile(r"\r?\n")


def secret_forms(secret: str) -> set[str]:
    """Every string that gives ``secret`` (or a line of it) away, verbatim or encoded."""
    if len(secret) < MIN_SECRET_CHARS:
        return set()
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms |= {line.strip() for line in secret.splitlines() if len(line.strip()) >= _MIN_LINE_CHARS}
    data = secret.encode()
    forms |= {data.hex(), data.hex().upper()}
    for aligned in _base64_fragments(data):
        forms.add(aligned)
    return {form for form in forms if len(form) >= _MIN_FORM_CHARS or form == secret}


def _base64_fragments(data: bytes) -> Iterable[str]:
    """The base64 characters that depend on ``data`` alone, at each alignment, both alphabets."""
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        # Character i carries stream bits [6i, 6i + 6); keep those lying wholly inside data.
        start = -(-8 * offset // 6)
        end = 8 * (offset + len(data)) // 6
        fragment = encoded[start:end]
        yield fragment
        yield fragment.translate(str.maketrans("+/", "-_"))


class Redactor:
    """Replaces every form of a set of secrets with ``<redacted>``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._pattern = _pattern(frozenset(secrets))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def redact(self, text: str) -> str:
        """``text`` with every known secret form replaced."""
        pattern = self._pattern
        if pattern is None:
            return text

        def unwrapped(run: re.Match[str]) -> str:
            return _redact_unwrapped(pattern, run.group())

        return _WRAPPED_RUN.sub(unwrapped, pattern.sub(REDACTED, text))


def _redact_unwrapped(pattern: re.Pattern[str], run: str) -> str:
    """``run`` (lines of base64 or hex) with each match found across its line breaks replaced."""
    kept = [i for i, char in enumerate(run) if char not in "\r\n"]
    joined = "".join(run[i] for i in kept)
    pieces: list[str] = []
    done = 0
    for found in pattern.finditer(joined):
        start, end = kept[found.start()], kept[found.end() - 1] + 1
        pieces += [run[done:start], REDACTED]
        done = end
    return "".join(pieces) + run[done:] if pieces else run


@functools.lru_cache(maxsize=16)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    """One expression matching every form of ``secrets`` (compiled once per set)."""
    forms: set[str] = set()
    for secret in secrets:
        forms |= secret_forms(secret)
    # Longest first, so a form containing another is replaced whole.
    ordered = sorted(forms, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(map(re.escape, ordered)))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of each of ``secrets`` replaced (see ``Redactor``)."""
    return Redactor(secrets).redact(text)
