"""bandit as a swarm member: security findings on changed Python lines.

bandit rates each issue by severity (how bad it would be) and confidence (how sure it is),
and names its weakness (a CWE). Severity maps HIGH -> major, MEDIUM -> minor, LOW -> nit,
except that a MEDIUM issue whose CWE is an injection (OS command, SQL, code, deserialisation:
``eval(input())``, a query built by string concatenation) is major too; confidence maps
HIGH -> 0.9, MEDIUM -> 0.6, LOW -> 0.3. Under the default review policy (request changes at
major with confidence 0.5) such an issue found with MEDIUM or HIGH confidence requests changes.
``assert`` (B101) is not reported in test files, where it is how tests are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from bot.analysers._outcome import Parsed, as_positive_int, clean_text
from bot.analysers._runner import find_executable
from bot.analysers._targets import Targets
from bot.review import FileKind, Finding, Severity, file_kind

BANDIT_SEVERITY = {"HIGH": Severity.MAJOR, "MEDIUM": Severity.MINOR, "LOW": Severity.NIT}
BANDIT_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.6, "LOW": 0.3}
# Injection weaknesses: OS command (78), SQL (89), code (94, 95), deserialisation (502).
INJECTION_CWES = frozenset({78, 89, 94, 95, 502})


def bandit_severity(severity: object, cwe: int | None) -> Severity | None:
    """bandit's severity as ours: MEDIUM is major when its CWE is an injection."""
    mapped = BANDIT_SEVERITY.get(str(severity))
    if mapped is Severity.MINOR and cwe in INJECTION_CWES:
        return Severity.MAJOR
    return mapped


@dataclass(frozen=True)
class BanditAnalyser:
    """``bandit -f json`` on the changed Python files."""

    path: str | None = None
    name: str = "bandit"
    suffixes: tuple[str, ...] = (".py",)
    optional: bool = False
    ok_exit_codes: frozenset[int] = frozenset({0, 1})  # 1: issues were found

    def executable(self) -> str | None:
        """The configured bandit, else the one on ``PATH`` or in the running environment."""
        return find_executable("bandit", self.path)

    def skip_reason(self, targets: Targets) -> str | None:
        """bandit always runs when there are Python files."""
        return None

    def command(self, executable: str, targets: Targets) -> list[str]:
        """The bandit command line; files are absolute paths after ``--``."""
        files = [str(targets.absolute[path]) for path in targets.paths]
        return [executable, "--format", "json", "--quiet", "--", *files]

    def parse(self, document: object, targets: Targets) -> Parsed:
        """Findings from bandit's JSON report (``results``); its ``errors`` count as invalid."""
        parsed = Parsed()
        results = document.get("results") if isinstance(document, dict) else None
        if not isinstance(results, list):
            parsed.invalid += 1
            return parsed
        errors = document.get("errors") if isinstance(document, dict) else None
        parsed.invalid += len(errors) if isinstance(errors, list) else 0
        for item in results:
            finding = _finding(item, targets) if isinstance(item, dict) else None
            if finding is None:
                parsed.invalid += 1
            elif not _assert_in_test(finding):
                parsed.findings.append(finding)
        return parsed


def _assert_in_test(finding: Finding) -> bool:
    return finding.message.startswith("bandit B101:") and file_kind(finding.path) is FileKind.TEST


def _finding(item: Mapping[str, object], targets: Targets) -> Finding | None:
    path = targets.diff_path(item.get("filename"))
    line = as_positive_int(item.get("line_number"))
    cwe = item.get("issue_cwe")
    cwe_id = as_positive_int(cwe.get("id")) if isinstance(cwe, dict) else None
    severity = bandit_severity(item.get("issue_severity"), cwe_id)
    confidence = BANDIT_CONFIDENCE.get(str(item.get("issue_confidence")))
    if path is None or line is None or severity is None or confidence is None:
        return None
    rows = item.get("line_range")
    numbers = [as_positive_int(n) for n in rows] if isinstance(rows, list) else []
    last = max((n for n in numbers if n is not None), default=line)
    test_id = clean_text(item.get("test_id"), 20)
    message = f"bandit {test_id}: {clean_text(item.get('issue_text'))}"
    if cwe_id is not None:
        message += f" (CWE-{cwe_id})"
    more = clean_text(item.get("more_info"), 300)
    if more.startswith("https://"):
        message += f"\n\nMore: {more}"
    try:
        return Finding(
            path=path,
            line=line,
            end_line=last if last > line else None,
            severity=severity,
            category="security",
            message=message,
            confidence=confidence,
        )
    except ValidationError:
        return None
