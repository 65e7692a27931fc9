"""ruff as a swarm member: lint findings on changed Python lines, with safe fixes as suggestions.

Severity by rule: syntax errors, undefined names and the pyflakes checks that mean broken code
(F63x comparisons, F7xx misplaced statements, F82x undefined names) are major; other pyflakes
(F) and bugbear (B) rules are minor, likely bugs; pycodestyle (E, W) and anything else are
nits. ruff runs ``--isolated`` with a fixed rule selection, so a repository's configuration
cannot change what is reported, and ``--no-cache`` so it writes nothing into the checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bot.analysers._outcome import Parsed, as_positive_int, clean_text
from bot.analysers._runner import find_executable
from bot.analysers._targets import Targets
from bot.review import Finding, Severity

DEFAULT_SELECT: tuple[str, ...] = ("E4", "E7", "E9", "F", "B", "W")
_MAJOR_PREFIXES = ("F63", "F7", "F82", "E9")


def ruff_severity(code: str) -> tuple[Severity, str, float]:
    """Severity, category and confidence for a ruff rule code (``invalid-syntax`` included)."""
    if code == "invalid-syntax" or code.startswith(_MAJOR_PREFIXES):
        return Severity.MAJOR, "correctness", 0.95
    if code.startswith("F"):
        return Severity.MINOR, "correctness", 0.9
    if code.startswith("B"):
        return Severity.MINOR, "correctness", 0.7
    return Severity.NIT, "style", 0.8


@dataclass(frozen=True)
class RuffAnalyser:
    """``ruff check --output-format json`` on the changed Python files."""

    select: tuple[str, ...] = DEFAULT_SELECT
    path: str | None = None
    name: str = "ruff"
    suffixes: tuple[str, ...] = (".py", ".pyi")
    optional: bool = False
    ok_exit_codes: frozenset[int] = frozenset({0, 1})

    def executable(self) -> str | None:
        """The configured ruff, else the one on ``PATH`` or in the running environment."""
        return find_executable("ruff", self.path)

    def skip_reason(self, targets: Targets) -> str | None:
        """ruff always runs when there are Python files."""
        return None

    def command(self, executable: str, targets: Targets) -> list[str]:
        """The ruff command line; files are absolute paths after ``--``."""
        files = [str(targets.absolute[path]) for path in targets.paths]
        return [
            executable,
            "check",
            "--isolated",
            "--no-cache",
            "--no-fix",
            "--exit-zero",
            "--output-format",
            "json",
            "--select",
            ",".join(self.select),
            "--",
            *files,
        ]

    def parse(self, document: object, targets: Targets) -> Parsed:
        """Findings from ruff's JSON list of diagnostics."""
        parsed = Parsed()
        if not isinstance(document, list):
            parsed.invalid += 1
            return parsed
        sources = _Sources()
        for item in document:
            finding = _finding(item, targets, sources) if isinstance(item, dict) else None
            if finding is None:
                parsed.invalid += 1
            else:
                parsed.findings.append(finding)
        return parsed


def _row(location: object) -> int | None:
    return as_positive_int(location.get("row")) if isinstance(location, dict) else None


class _Sources:
    """Files' lines as ruff counts them (``\n``, ``\r\n`` or ``\r``), read once per file."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str] | None] = {}

    def lines(self, file: Path) -> list[str] | None:
        """The lines of ``file`` with their endings, or None when it cannot be read as UTF-8."""
        if file not in self._lines:
            try:
                with file.open(encoding="utf-8", newline="") as handle:
                    self._lines[file] = handle.readlines()
            except (OSError, UnicodeError):
                self._lines[file] = None
        return self._lines[file]


QUOTE_LIMIT = 5_000  # Finding.quote's limit


def _quote(lines: list[str] | None, span: tuple[int, int | None]) -> str | None:
    """The lines a finding is on, as the file has them: what places it and its fix."""
    if not lines:
        return None
    first, last = span[0], span[1] or span[0]
    text = "".join(lines[first - 1 : last]).rstrip("\r\n")
    return text if 0 < len(text) <= QUOTE_LIMIT else None  # a long span is placed by line


def _finding(item: Mapping[str, object], targets: Targets, sources: _Sources) -> Finding | None:
    path = targets.diff_path(item.get("filename"))
    line = _row(item.get("location"))
    if path is None or line is None:
        return None
    end = _row(item.get("end_location"))
    code = clean_text(item.get("code") or "invalid-syntax", 50)
    severity, category, confidence = ruff_severity(code)
    message = f"ruff {code}: {clean_text(item.get('message'))}"
    span = (line, end if end is not None and end > line else None)
    fix = _suggestion(item.get("fix"), sources.lines(targets.absolute[path]), line)
    if fix is not None:
        fix_text, span = fix
        message += f"\n\nFix: {clean_text(_mapping(item.get('fix')).get('message'))}"
    else:
        fix_text = None
    try:
        return Finding(
            path=path,
            line=span[0],
            end_line=span[1],
            severity=severity,
            category=category,
            message=message,
            quote=_quote(sources.lines(targets.absolute[path]), span),
            suggestion=fix_text,
            confidence=confidence,
        )
    except ValidationError:
        return None


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _suggestion(
    fix: object, lines: list[str] | None, line: int
) -> tuple[str, tuple[int, int | None]] | None:
    """A safe, single-edit fix as the new text of the whole lines it touches, with their span.

    GitHub's suggestion replaces exactly the commented lines, so the edit is applied to those
    lines of the file as it is in the checkout. Deletions are not offered: an empty suggestion
    would not be shown.
    """
    fix_map = _mapping(fix)
    edits = fix_map.get("edits")
    if fix_map.get("applicability") != "safe" or not isinstance(edits, list) or len(edits) != 1:
        return None
    edit = _mapping(edits[0])
    start, end = _mapping(edit.get("location")), _mapping(edit.get("end_location"))
    rows = (as_positive_int(start.get("row")), as_positive_int(end.get("row")))
    cols = (as_positive_int(start.get("column")), as_positive_int(end.get("column")))
    content = edit.get("content")
    if lines is None or None in rows or None in cols or not isinstance(content, str):
        return None
    (first, last), (first_col, last_col) = rows, cols
    assert first is not None and last is not None and first_col is not None and last_col is not None
    if last_col == 1 and last > first:
        last -= 1  # the edit ends at the start of a line: that line is untouched
        last_col = len(lines[last - 1]) + 1 if last <= len(lines) else 1
    if not first <= line <= last or last > len(lines):
        return None
    original = "".join(lines[first - 1 : last])
    offset_start = first_col - 1
    offset_end = sum(len(text) for text in lines[first - 1 : last - 1]) + last_col - 1
    if offset_start > len(original) or offset_end > len(original) or offset_end < offset_start:
        return None
    replaced = original[:offset_start] + content + original[offset_end:]
    if not replaced.strip() or replaced == original:
        return None
    return replaced.rstrip("\r\n"), (first, last if last > first else None)
