"""The agent runtime: the model port, retries and budgets, roles, and the tool-use loop.

Roles (planner, implementer, reviewers) are data: a prompt in ``prompts/<role>.md`` and tools
and limits in ``data/roles.yaml``. The loop talks to a model only through ``ModelPort`` /
``ModelCall``; the ``anthropic`` SDK lives in ``bot.adapters.anthropic_model``.
"""

from __future__ import annotations

from bot.agents._journal import CallJournal, JournalMismatchError
from bot.agents._loop import AgentLoop, AgentOutcome, run_agent
from bot.agents._model import (
    ModelCall,
    ModelError,
    ModelPort,
    ModelRequest,
    ModelResponse,
    ModelUnavailableError,
    PermanentModelError,
    TransientModelError,
    Usage,
)
from bot.agents._pacing import Backpressure, InputRateLimit
from bot.agents._resilience import CircuitBreaker, CircuitOpenError, ResilientModel, RetryPolicy
from bot.agents._roles import (
    REVIEWER_ROLES,
    AgentLimits,
    Role,
    RoleOverride,
    build_toolbox,
    load_role,
    role_names,
)
from bot.agents._usage import (
    BudgetExceededError,
    BudgetGuard,
    CallRecord,
    Price,
    PriceTable,
    RunBudget,
    UnknownModelPriceError,
    UsageLedger,
)

__all__ = [
    "REVIEWER_ROLES",
    "AgentLimits",
    "AgentLoop",
    "AgentOutcome",
    "Backpressure",
    "BudgetExceededError",
    "BudgetGuard",
    "CallJournal",
    "CallRecord",
    "CircuitBreaker",
    "CircuitOpenError",
    "InputRateLimit",
    "JournalMismatchError",
    "ModelCall",
    "ModelError",
    "ModelPort",
    "ModelRequest",
    "ModelResponse",
    "ModelUnavailableError",
    "PermanentModelError",
    "Price",
    "PriceTable",
    "ResilientModel",
    "RetryPolicy",
    "Role",
    "RoleOverride",
    "RunBudget",
    "TransientModelError",
    "UnknownModelPriceError",
    "Usage",
    "UsageLedger",
    "build_toolbox",
    "load_role",
    "role_names",
    "run_agent",
]
