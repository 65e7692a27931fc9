"""The spec and review flows on a local git repository, without GitHub.

``run_spec`` implements a spec on a new branch of the user's repository (agents work in a
private checkout; only the finished branch is handed back), ``review_local`` runs the reviewer
swarm on ``git diff base...head``. Both call the same ``bot.work`` stages as the App.
"""

from bot.local._git import (
    LocalGitError,
    branch_exists,
    check_branch_name,
    free_branch,
    has_uncommitted_changes,
    local_diff,
    read_at,
    repository_root,
    resolve_commit,
)
from bot.local._model import (
    NO_MODEL,
    NoModelError,
    check_model_reachable,
    require_model,
    team_from_settings,
)
from bot.local._progress import (
    AgentView,
    Board,
    BoardView,
    Progress,
    StageRecord,
    StageView,
    plain,
)
from bot.local._render import review_json, review_markdown, review_text, run_json, run_text
from bot.local._report import RunReport, TestSummary, UsageSummary
from bot.local._review import LocalReview, PlacedFinding, ReviewRequest, review_local
from bot.local._run import RunRequest, commit_message, default_venv_dir, run_spec

__all__ = [
    "AgentView",
    "Board",
    "BoardView",
    "StageView",
    "plain",
    "NO_MODEL",
    "LocalGitError",
    "LocalReview",
    "NoModelError",
    "check_model_reachable",
    "PlacedFinding",
    "Progress",
    "ReviewRequest",
    "RunReport",
    "RunRequest",
    "StageRecord",
    "TestSummary",
    "UsageSummary",
    "branch_exists",
    "check_branch_name",
    "commit_message",
    "default_venv_dir",
    "free_branch",
    "has_uncommitted_changes",
    "local_diff",
    "read_at",
    "require_model",
    "repository_root",
    "resolve_commit",
    "review_json",
    "review_local",
    "review_markdown",
    "review_text",
    "run_json",
    "run_spec",
    "run_text",
    "team_from_settings",
]
