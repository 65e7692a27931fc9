"""A run's checkout made ready and measured: setup and test commands, and protected paths.

``detect_commands`` picks the configured commands or the project's usual ones, ``run_setup``
and ``run_tests`` execute them confined and time-limited, and the guard puts back what agents
may not change (CI workflows, specbot's configuration, ``.git``) before a commit.
"""

from __future__ import annotations

from bot.workspace._config import PROTECTED_PATHS, WorkspaceConfig
from bot.workspace._detect import (
    REPORT_ENV,
    CommandPlan,
    ProjectKind,
    detect_commands,
    with_junit_option,
)
from bot.workspace._guard import (
    GitSnapshot,
    GuardError,
    editor_denied_paths,
    exclude_caches,
    exclude_untracked,
    is_protected,
    protected_changes,
    restore_before_commit,
    restore_git,
    restore_protected,
    snapshot_git,
)
from bot.workspace._process import StepResult, run_step
from bot.workspace._runner import (
    RunEnvironment,
    SetupResult,
    TestResult,
    TestStatus,
    run_setup,
    run_tests,
    setup_prefix,
)

__all__ = [
    "PROTECTED_PATHS",
    "REPORT_ENV",
    "CommandPlan",
    "GitSnapshot",
    "GuardError",
    "ProjectKind",
    "RunEnvironment",
    "SetupResult",
    "StepResult",
    "TestResult",
    "TestStatus",
    "WorkspaceConfig",
    "detect_commands",
    "editor_denied_paths",
    "exclude_caches",
    "exclude_untracked",
    "is_protected",
    "protected_changes",
    "restore_before_commit",
    "restore_git",
    "restore_protected",
    "run_setup",
    "run_step",
    "run_tests",
    "setup_prefix",
    "snapshot_git",
    "with_junit_option",
]
