"""One run's agent team: every agent call of the run goes through the same model and accounts.

A ``Team`` holds what all agents of a run share: the model, the usage ledger and the run's
budget, the sandbox of shells, whether tests and analysers are network-isolated, and where
progress is reported. ``run`` starts one agent of a role in a checkout and, however the agent
ends, closes its tools: no process it started outlives it. Nothing here knows about GitHub or
the durable engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.agents import (
    AgentOutcome,
    BudgetGuard,
    ModelCall,
    PriceTable,
    RoleOverride,
    RunBudget,
    UsageLedger,
    build_toolbox,
    load_role,
    run_agent,
)
from bot.agents.tools import SandboxPolicy, Workspace
from bot.work._context import ProjectFacts, repository_context

OnEvent = Callable[[str, dict[str, Any]], None]


def _ignore(event_type: str, payload: dict[str, Any]) -> None:
    """An ``on_event`` that records nothing."""


def shell_base_env() -> dict[str, str]:
    """What an agent's shell starts from: PATH and locale, never this process's secrets."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    return {name: os.environ[name] for name in keep if name in os.environ}


def venv_environment(
    venv_dir: Path | None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) with ``venv_dir`` first on PATH."""
    env = dict(os.environ if base is None else base)
    if venv_dir is not None:
        env["VIRTUAL_ENV"] = str(venv_dir)
        env["PATH"] = f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return env


@dataclass
class Team:
    """The model, ledger and budget shared by every agent of one run."""

    call_model: ModelCall
    model_name: str
    budget: RunBudget = field(default_factory=RunBudget)
    prices: PriceTable = field(default_factory=PriceTable.bundled)
    isolate: bool = True  # analysers' network isolation
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)
    redact: Sequence[str] = ()
    on_event: OnEvent = _ignore
    shell_timeout: float = 300.0
    overrides: Mapping[str, RoleOverride] = field(default_factory=dict)  # by agent or role name
    project: ProjectFacts = field(default_factory=ProjectFacts)  # base branch, commands
    ledger: UsageLedger = field(init=False)
    guard: BudgetGuard = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = UsageLedger(self.prices)
        self.guard = BudgetGuard(self.budget, self.ledger)

    def run(
        self,
        role_name: str,
        task: str,
        checkout: Path,
        *,
        agent: str | None = None,
        shared_context: str | None = None,
        denied: Sequence[str] | None = None,
        shell_env: Mapping[str, str] | None = None,
        wrap_model: Callable[[ModelCall], ModelCall] | None = None,
        ledger: UsageLedger | None = None,
    ) -> AgentOutcome:
        """Run one agent of ``role_name`` in ``checkout`` until it finishes or is limited.

        ``wrap_model`` wraps this agent's model calls (the review's cache primer uses it);
        ``ledger``, a branch of the team's, also gets its calls (to keep them with its result).
        """
        role = load_role(role_name)
        override = self.overrides.get(agent or role_name) or self.overrides.get(role_name)
        if override is not None:
            role = override.apply(role)
        workspace = Workspace(checkout) if denied is None else Workspace(checkout, denied)
        name = agent or role_name
        toolbox = build_toolbox(
            role,
            workspace,
            shell_timeout=self.shell_timeout,
            base_env=shell_env,
            redact=self.redact,
            sandbox=self.sandbox,
            on_event=self.on_event,
            time_left=self.guard.seconds_left,
        )
        context = repository_context(workspace.root, self.project)
        with toolbox:  # also when the agent fails or its run is cancelled
            return run_agent(
                agent=name,
                role=role,
                task=task,
                call_model=self.call_model if wrap_model is None else wrap_model(self.call_model),
                toolbox=toolbox,
                shared_context=shared_context,
                ledger=self.ledger if ledger is None else ledger,
                budget=self.guard,
                on_event=self.on_event,
                repository_context=context,
            )

    @property
    def input_tokens(self) -> int:
        """Input tokens of every call so far (cache reads and writes included)."""
        usage = self.ledger.usage()
        return (
            usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
        )

    @property
    def effective_tokens(self) -> int:
        """Tokens as the run's token budget counts them (a cache read counts a tenth)."""
        return self.ledger.usage().effective_tokens

    @property
    def output_tokens(self) -> int:
        """Output tokens of every call so far."""
        return self.ledger.usage().output_tokens

    @property
    def cost_usd(self) -> float:
        """What the run's calls cost so far, from the bundled price table."""
        return self.ledger.cost_usd()
