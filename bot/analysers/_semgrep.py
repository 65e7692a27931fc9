"""semgrep as a swarm member, only where it is installed and the repository has local rules.

specbot never installs semgrep and never fetches rules: registry rule sets (``--config auto``)
need the network, which analysers do not have. The rules are the checkout's own
``.semgrep.yml`` or ``.semgrep/`` directory. Severity maps ERROR -> major, WARNING -> minor,
INFO -> nit, each with confidence 0.7.
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

SEMGREP_SEVERITY = {"ERROR": Severity.MAJOR, "WARNING": Severity.MINOR, "INFO": Severity.NIT}
RULE_LOCATIONS = (".semgrep.yml", ".semgrep.yaml", ".semgrep")


@dataclass(frozen=True)
class SemgrepAnalyser:
    """``semgrep scan --json`` with the repository's own rules on the changed files."""

    path: str | None = None
    name: str = "semgrep"
    suffixes: tuple[str, ...] = (".py", ".js", ".ts", ".tsx", ".jsx", ".go", ".java", ".rb")
    optional: bool = True
    ok_exit_codes: frozenset[int] = frozenset({0, 1})

    def executable(self) -> str | None:
        """The configured semgrep, else the one on ``PATH``; None when it is not installed."""
        return find_executable("semgrep", self.path)

    def skip_reason(self, targets: Targets) -> str | None:
        """Skip when the checkout has no local rules (registry rules would need the network)."""
        if self._rules(targets.root) is None:
            return "no local rules (.semgrep.yml or .semgrep/) in the repository"
        return None

    def command(self, executable: str, targets: Targets) -> list[str]:
        """The semgrep command line: local rules, no metrics, files as absolute paths."""
        rules = self._rules(targets.root)
        assert rules is not None  # skip_reason ran first
        files = [str(targets.absolute[path]) for path in targets.paths]
        return [
            executable,
            "scan",
            "--json",
            "--quiet",
            "--metrics=off",
            "--disable-version-check",
            "--config",
            str(rules),
            "--",
            *files,
        ]

    def parse(self, document: object, targets: Targets) -> Parsed:
        """Findings from semgrep's JSON ``results``."""
        parsed = Parsed()
        results = document.get("results") if isinstance(document, dict) else None
        if not isinstance(results, list):
            parsed.invalid += 1
            return parsed
        for item in results:
            finding = _finding(item, targets) if isinstance(item, dict) else None
            if finding is None:
                parsed.invalid += 1
            else:
                parsed.findings.append(finding)
        return parsed

    @staticmethod
    def _rules(root: Path) -> Path | None:
        for name in RULE_LOCATIONS:
            candidate = root / name
            # A symlink could point the rules anywhere on the machine: only real entries count.
            if candidate.exists() and not candidate.is_symlink():
                return candidate
        return None


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _finding(item: Mapping[str, object], targets: Targets) -> Finding | None:
    path = targets.diff_path(item.get("path"))
    line = as_positive_int(_mapping(item.get("start")).get("line"))
    end = as_positive_int(_mapping(item.get("end")).get("line"))
    extra = _mapping(item.get("extra"))
    severity = SEMGREP_SEVERITY.get(str(extra.get("severity")))
    if path is None or line is None or severity is None:
        return None
    rule = clean_text(item.get("check_id"), 200)
    try:
        return Finding(
            path=path,
            line=line,
            end_line=end if end is not None and end > line else None,
            severity=severity,
            category="security" if "security" in rule.lower() else "correctness",
            message=f"semgrep {rule}: {clean_text(extra.get('message'))}",
            confidence=0.7,
        )
    except ValidationError:
        return None
