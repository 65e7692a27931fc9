"""Gate-level findings: structure (STR) and security (SEC)."""

from __future__ import annotations

import re
import unicodedata

from bot.spec import _lexicon as lx
from bot.spec._document import Document
from bot.spec._findings import Hit
from bot.spec._model import SectionKind
from bot.spec._signals import mask_inline_code
from bot.spec._textscan import Needles, Scanner

MIN_WORDS = 30
MAX_WORDS = 2000

# STR-003: each pattern with the literals that must be present for it to possibly match.
_MARKERS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("[",), re.compile(r"\[(?:NEEDS CLARIFICATION|needs clarification|Needs Clarification)")),
    # A marker in quotes ('TODO') is mentioned, not left unresolved.
    (
        ("TBD", "TODO", "FIXME", "XXX"),
        re.compile(
            r"(?<!['\"‘“])(?:TBD|TODO|FIXME|XXX)(?![\w])"
            r"|(?<=['\"‘“])(?:TBD|TODO|FIXME|XXX)(?![\w'\"’”])"
        ),
    ),
    (("???",), re.compile(r"\?\?\?")),
    (("[",), re.compile(r"\[[A-Z][A-Z _]{3,80}\]")),
    (("<",), re.compile(r"<(?i:describe|insert|your|add|enter)\b[^<>\n]{0,100}>")),
    (("lorem", "Lorem", "LOREM"), re.compile(r"(?i:lorem\s+ipsum)")),
    (("definir", "DEFINIR", "Definir"), re.compile(r"(?i:por\s+definir)")),
)
_MARKER_NEEDLES = Needles(needle for needles, _ in _MARKERS for needle in needles)

_SEC_TARGET = (
    r"(?:instructions?|prompts?|system\s+prompts?|system\s+messages?|rubric|gate|guidelines|"
    r"guardrails|directives)"
)
_SEC_DETERMINERS = (
    r"(?:(?:all|any|the|your|previous|prior|above|earlier|preceding|of|these|those|my)\s+){1,3}"
)
_SECRETS = (
    r"(?:github_token|gh_token|secrets\.|\$\{\{\s*secrets|environment\s+variables|env\s+vars|"
    r"\.env\b|private\s+key|ssh\s+key|credentials)"
)
_LEAK_VERBS = r"(?:print|echo|cat|dump|send|post|upload|paste|leak|exfiltrate|reveal)"
# SEC-001, applied to NFKC-folded lowercase text (comments and fences included).
# The override verbs get one pattern each: a literal start is found by a fast string search.
_OVERRIDE_VERBS = ("ignore", "disregard", "forget", "override", "bypass")
_INJECTION: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    *(
        (
            (verb,),
            re.compile(rf"{verb}\s+(?:{_SEC_DETERMINERS}{_SEC_TARGET}|(?:all\s+)?your\s+rules)\b"),
        )
        for verb in _OVERRIDE_VERBS
    ),
    (("you are now",), re.compile(r"you\s+are\s+now\s+(?:a|an|the)\s+\w")),
    (
        ("this spec", "this issue", "this specification", "this pr"),
        re.compile(
            r"(?:approve|pass)\s+this\s+(?:spec|issue|specification|pr|pull\s+request)\b"
            r"|mark\s+this\s+(?:spec|issue|specification)\s+as\s+(?:ready|approved|pass)"
        ),
    ),
    (('"ready"',), re.compile(r'"ready"\s*:\s*true')),
    (
        ("im_start", "im_end", "inst]", "<|", "system prompt", "system:", "assistant:"),
        re.compile(
            r"<\|im_(?:start|end)\|>|\[/?inst\]|<\|(?:system|user|assistant)\|>"
            r"|\bsystem\s+prompt\b|^[ \t]{0,3}#{1,6}[ \t]*(?:system|assistant)[ \t]*:",
            re.MULTILINE,
        ),
    ),
    (
        ("tell", "inform"),
        re.compile(
            r"(?:don'?t|do\s+not|never)\s+(?:tell|inform)\s+(?:the\s+)?"
            r"(?:user|reviewer|maintainer|human|owner)s?\b"
        ),
    ),
    (
        (
            "github_token",
            "gh_token",
            "secrets",
            ".env",
            "env var",
            "environment variable",
            "private key",
            "ssh key",
            "credentials",
        ),
        re.compile(
            rf"{_LEAK_VERBS}\b(?![ \t]+/)[^\n]{{0,40}}?{_SECRETS}"
            rf"|{_SECRETS}[^\n]{{0,40}}?\b{_LEAK_VERBS}\b(?![ \t]+/)"
        ),
    ),
    (
        ("curl", "wget"),
        re.compile(r"(?:curl|wget)\b[^\n|]{0,200}\|[ \t]*(?:sudo[ \t]+)?(?:ba|z|da)?sh\b"),
    ),
)
_INJECTION_NEEDLES = Needles(needle for needles, _ in _INJECTION for needle in needles)


def check_structure(doc: Document) -> list[Hit]:
    """STR-002 to STR-006 (STR-001 is decided by the gate before anything else)."""
    hits: list[Hit] = []
    words = count_words(doc, stop_above=MAX_WORDS)
    if words < MIN_WORDS and not _short_but_exact(doc):
        hits.append(Hit("STR-002", 0))
    if words > MAX_WORDS:
        hits.append(Hit("STR-006", 0))
    # Inline code never spans lines, so the joined text is masked in one pass.
    scanner = Scanner.of_text(mask_inline_code("\n".join(doc.norm.content_lines)))
    present = _MARKER_NEEDLES.present(scanner.text)
    for needles, pattern in _MARKERS:
        if not present.isdisjoint(needles):
            lines = scanner.lines_matching(pattern, word_start=True)
            hits.extend(Hit("STR-003", n) for n in lines)
    hits.extend(Hit("STR-004", line) for line in doc.no_response_fields)
    canonical = (SectionKind.OTHER, SectionKind.PREAMBLE)
    if all(section.kind in canonical for section in doc.sections):
        hits.append(Hit("STR-005", 0))
    return hits


def _short_but_exact(doc: Document) -> bool:
    """RUBRIC v0.2: a short body that says where and gives a checkable result is not a title.

    ("GET /api/v1/x returns 500, should return 404" is a whole bug report in ten words.)
    """
    if not doc.anchored:
        return False
    return doc.reported_measurable or any(
        line.cls == "C" and line.m_kinds for line in doc.content()
    )


def count_words(doc: Document, *, stop_above: int | None = None) -> int:
    """Words outside comments, code fences and heading lines.

    With ``stop_above``, counting stops as soon as the count exceeds it (the result is then
    some number above it): the rules only compare the count with their limits, and a long
    body passes the upper one within its first pages.
    """
    content_lines, in_fence = doc.norm.content_lines, doc.norm.in_fence
    words = 0
    for line in doc.lines:  # blank lines have no Line and no words
        index = line.number - 1
        if in_fence[index] or (line.header is not None and line.header.form == "heading"):
            continue
        words += len(content_lines[index].split())  # no word spans two lines
        if stop_above is not None and words > stop_above:
            break
    return words


def _nfkc(line: str) -> str:
    """NFKC folds look-alikes such as fullwidth letters; most lines need nothing."""
    return line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)


def check_security(doc: Document) -> list[Hit]:
    """SEC-001 on the raw text (comments and code included) and SEC-002 hidden characters."""
    raw = doc.norm.raw_lines
    if unicodedata.is_normalized("NFKC", "\n".join(raw)):
        # Lines without comments or code were folded already; fold only the others.
        content, done = doc.norm.content_lines, doc.folded_lines
        folded = [
            done[i] if line == content[i] else lx.fold_text(line) for i, line in enumerate(raw)
        ]
    else:  # ASCII lines (most) are their own NFKC form, and fold to lower case
        folded = [line.lower() if line.isascii() else lx.fold_text(_nfkc(line)) for line in raw]
    scanner = Scanner(folded)
    hits: list[Hit] = []
    present = _INJECTION_NEEDLES.present(scanner.text)
    for needles, pattern in _INJECTION:
        if not present.isdisjoint(needles):
            lines = scanner.lines_matching(pattern, word_start=True)
            hits.extend(Hit("SEC-001", n) for n in lines)
    hits.extend(Hit("SEC-002", n) for n in doc.norm.hidden_lines)
    return hits
