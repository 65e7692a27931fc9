"""Running one stage of a spec run: tracking, timing, usage, and failures that are said out loud.

``spec_stage`` turns a function ``(StageTools, SpecRun) -> SpecRun`` into a pipeline stage (over
the services the catalog was built with) that
marks itself running in the tracking comment, times itself, adds the tokens and cost its agents
used, runs again after a transient GitHub failure (its effects are idempotent), and ends the
run with a clear outcome (never silently) when the work cannot go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from bot.agents import BudgetExceededError, ModelError
from bot.config import RepoConfig
from bot.flows._services import Services
from bot.flows._state import SpecRun
from bot.flows._tracking import upsert_tracking
from bot.flows._transient import RETRY_DELAYS, is_transient_error, wait_before_retry
from bot.orchestra import Stage, StageContext
from bot.ports import RepoGitHub
from bot.posted import inert_line
from bot.tracking import StageState
from bot.work import Team, WorkError

log = structlog.get_logger("specbot.flows")


@dataclass
class StageTools:
    """What a stage function works with: services, the repository, a fresh team, and the
    repository's configuration as the run's gate read it (read here only before the gate)."""

    services: Services
    github: RepoGitHub
    team: Team
    context: StageContext
    _config: RepoConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> RepoConfig:
        """``.github/specbot.yml`` of the run: the gate's reading, else the default branch's."""
        if self._config is None:
            self._config = self.services.repo_config(self.github)
        return self._config

    def track(self, run: SpecRun) -> SpecRun:
        """Write the run's state into the tracking comment now (not once it was cancelled:
        a newer run, or the person who cancelled it, owns the comment then)."""
        if self.services.cancelled(run.run_id):
            return run
        return report(self.github, run)


SpecStageFunction = Callable[[StageTools, SpecRun], SpecRun]


def report(github: RepoGitHub, run: SpecRun) -> SpecRun:
    """Update the tracking comment; keep its id in the state."""
    comment_id = upsert_tracking(github, run.issue, run.report(), run.comment_id)
    return run.model_copy(update={"comment_id": comment_id})


def _with_usage(run: SpecRun, team: Team) -> SpecRun:
    return run.model_copy(
        update={
            "input_tokens": run.input_tokens + team.input_tokens,
            "output_tokens": run.output_tokens + team.output_tokens,
            "effective_tokens": run.effective_tokens + team.effective_tokens,
            "cost_usd": run.cost_usd + team.cost_usd,
        }
    )


def _failure_text(name: str, exc: BaseException) -> str:
    said = inert_line(str(exc), 1_000)  # errors can quote what a model wrote
    if isinstance(exc, (WorkError, BudgetExceededError)):
        return f"Stopped at {name}: {said}"
    if isinstance(exc, ModelError):
        return f"Stopped at {name}: the model is unavailable ({type(exc).__name__}: {said})"
    return f"Stopped at {name}: {type(exc).__name__}: {said}"


def _retry_hint(run: SpecRun) -> str:
    return f"Comment `/specbot retry` on #{run.issue} to run it again."


def continue_hint(run: SpecRun) -> str:
    """What to do after the process stopped under the run."""
    return (
        f"Comment `/specbot retry` on #{run.issue} to continue: with the run's database kept, "
        "from the last finished stage; without it, from the start, on the work pushed so far."
    )


def interrupted(tools: StageTools, run: SpecRun, name: str) -> SpecRun:
    """The run ended at stage ``name`` because the process is stopping (said, tracked)."""
    reason = tools.services.stop_reason
    where = f"`{run.branch}`" if run.patch.strip() else "nowhere yet (nothing was written)"
    after = run.with_stage(name, StageState.FAILED, None, reason[:200])
    after = after.model_copy(update={"interrupted": True}).stop(
        f"Stopped at {name}: {reason}. The work so far is pushed to {where}.",
        continue_hint(run),
    )
    return report(tools.github, after)


def spec_stage(
    services: Services, name: str, function: SpecStageFunction, *, always: bool = False
) -> Stage:
    """A pipeline stage over ``SpecRun``; ``always`` runs it even after the run stopped."""

    def run_stage(context: StageContext, run: SpecRun) -> SpecRun:
        if run.stopped and not always:
            return run
        github = services.github(run.repo, run.installation_id)
        team = services.team(
            tokens_used=run.effective_tokens,
            cost_used=run.cost_usd,
            seconds_used=max(0.0, time.time() - run.started_at) if run.started_at else 0.0,
            run_id=run.run_id,
            config=run.config,
        )
        tools = StageTools(services, github, team, context, run.config)
        with structlog.contextvars.bound_contextvars(run_id=run.run_id, stage=name):
            if services.stopping.is_set() and not always:
                return interrupted(tools, run, name)
            after = _execute(name, function, tools, run)
            if services.stopping.is_set() and not always and not after.stopped:
                # finished while the process stops: what follows would run on a dead step
                return interrupted(tools, after, name)
            return after

    return Stage(name, SpecRun, SpecRun, run_stage)


def _execute(name: str, function: SpecStageFunction, tools: StageTools, run: SpecRun) -> SpecRun:
    """The stage, tried again after a transient GitHub failure; any other failure ends the run."""
    for delay in (*RETRY_DELAYS, None):
        started = time.monotonic()
        try:
            return _attempt(name, function, tools, run, started)
        except Exception as exc:  # said in the tracking comment; the run ends, never silently
            if delay is not None and is_transient_error(exc):
                wait_before_retry(f"stage {name}", exc, delay)
                continue
            log.exception("stage failed")
            return _fail(name, tools, run, exc, time.monotonic() - started)
    raise AssertionError("unreachable: the last try returns or fails")


def _attempt(
    name: str, function: SpecStageFunction, tools: StageTools, run: SpecRun, started: float
) -> SpecRun:
    if not run.stopped:
        run = tools.track(run.with_stage(name, StageState.RUNNING))
    log.info("stage started")
    after = function(tools, run)
    seconds = time.monotonic() - started
    after = _with_usage(after, tools.team)
    current_state = next(s.state for s in after.stages if s.name == name)
    if current_state in (StageState.RUNNING, StageState.PENDING):
        after = after.with_stage(name, StageState.DONE, seconds, _detail(after, name))
    log.info("stage finished", seconds=round(seconds, 3), stopped=after.stopped)
    return tools.track(after)


def _fail(
    name: str, tools: StageTools, run: SpecRun, exc: BaseException, seconds: float
) -> SpecRun:
    after = _with_usage(run, tools.team).with_stage(
        name, StageState.FAILED, seconds, str(exc)[:200]
    )
    after = after.stop(_failure_text(name, exc), _retry_hint(run))
    return tools.track(after)


def _detail(run: SpecRun, name: str) -> str:
    return next((s.detail for s in run.stages if s.name == name), "")
