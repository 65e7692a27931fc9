"""The work itself, engine-free: plan, implement, test, check and review on a git checkout.

The App's durable flows (``bot.flows``) and the local commands (``specbot run``, ``specbot
review``) call these same functions; GitHub and the durable engine stay outside.
"""

from bot.work._context import ProjectFacts, repository_context
from bot.work._implementing import (
    WorkError,
    act_on_event,
    answer,
    check_criteria,
    command_plan,
    follow_up,
    implement,
    plan_work,
    prepare,
    render_plan,
    settle,
    test,
)
from bot.work._members import CachePrimer
from bot.work._reviewing import (
    DEFAULT_REVIEW_BUDGET,
    Record,
    ReviewerNote,
    ReviewResult,
    SwarmRounds,
    review_changes,
)
from bot.work._spec import SpecText
from bot.work._team import Team, shell_base_env, venv_environment

__all__ = [
    "ProjectFacts",
    "repository_context",
    "CachePrimer",
    "DEFAULT_REVIEW_BUDGET",
    "Record",
    "ReviewResult",
    "ReviewerNote",
    "SwarmRounds",
    "SpecText",
    "Team",
    "WorkError",
    "act_on_event",
    "answer",
    "check_criteria",
    "command_plan",
    "follow_up",
    "implement",
    "plan_work",
    "prepare",
    "render_plan",
    "review_changes",
    "settle",
    "shell_base_env",
    "test",
    "venv_environment",
]
