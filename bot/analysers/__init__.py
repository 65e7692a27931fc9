"""Deterministic analysers (ruff, bandit, semgrep) as members of the reviewer swarm.

Each runs on the checkout of a pull request, on its changed files only, confined like an
agent's commands, and reports a ``ReviewerReport`` in the ``submit_review`` shape with the
findings that fall on lines the pull request added.
"""

from bot.analysers._bandit import BANDIT_CONFIDENCE, BANDIT_SEVERITY, BanditAnalyser
from bot.analysers._outcome import AnalyserOutcome, AnalyserStatus, Parsed, summarise_outcomes
from bot.analysers._process import ToolRun, run_tool
from bot.analysers._ruff import DEFAULT_SELECT, RuffAnalyser, ruff_severity
from bot.analysers._runner import (
    DEFAULT_OUTPUT_LIMIT,
    DEFAULT_TIMEOUT,
    MAX_FINDINGS,
    Analyser,
    find_executable,
    run_analyser,
    run_analysers,
)
from bot.analysers._semgrep import SEMGREP_SEVERITY, SemgrepAnalyser
from bot.analysers._targets import Targets, select_targets


def default_analysers() -> list[Analyser]:
    """The analysers the swarm runs by default: ruff, bandit and semgrep (skipped if absent)."""
    return [RuffAnalyser(), BanditAnalyser(), SemgrepAnalyser()]


__all__ = [
    "BANDIT_CONFIDENCE",
    "BANDIT_SEVERITY",
    "DEFAULT_OUTPUT_LIMIT",
    "DEFAULT_SELECT",
    "DEFAULT_TIMEOUT",
    "MAX_FINDINGS",
    "SEMGREP_SEVERITY",
    "Analyser",
    "AnalyserOutcome",
    "AnalyserStatus",
    "BanditAnalyser",
    "Parsed",
    "RuffAnalyser",
    "SemgrepAnalyser",
    "Targets",
    "ToolRun",
    "default_analysers",
    "find_executable",
    "ruff_severity",
    "run_analyser",
    "run_analysers",
    "run_tool",
    "select_targets",
    "summarise_outcomes",
]
