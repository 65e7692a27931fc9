"""Plan, implement, test and check one spec in a checkout (no GitHub, no durable engine).

Each function is one stage of the implementer pipeline; the App's durable stages and the local
``specbot run`` call the same functions, so both behave alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.agents import AgentOutcome
from bot.agents.tools import PlanSubmission
from bot.evidence import CriterionEvidence, link_criteria
from bot.untrusted import delimit
from bot.work._spec import SpecText
from bot.work._team import Team
from bot.work._texts import numbered, task_text
from bot.workspace import (
    CommandPlan,
    RunEnvironment,
    SetupResult,
    TestResult,
    WorkspaceConfig,
    detect_commands,
    editor_denied_paths,
    exclude_untracked,
    run_setup,
    run_tests,
)


class WorkError(Exception):
    """A stage cannot go on; the message says why, in words for the tracking comment."""


def plan_work(team: Team, checkout: Path, spec: SpecText) -> PlanSubmission:
    """Ask the planner for a plan; raise ``WorkError`` when it submits none."""
    task = task_text(
        "plan",
        number=spec.number,
        title=spec.title,
        spec=delimit(spec.body, f"issue #{spec.number}", clean=False),
        criteria=numbered(list(spec.criteria)),
    )
    outcome = team.run("planner", task, checkout)
    if outcome.submission is None:
        raise WorkError(f"the planner submitted no plan ({outcome.status}: {outcome.message})")
    return PlanSubmission.model_validate(outcome.submission)


def render_plan(plan: PlanSubmission) -> str:
    """The plan as Markdown: the summary, then each step with its files, approach, criteria
    and tests."""
    lines = [plan.summary.strip(), ""]
    for index, step in enumerate(plan.steps, start=1):
        files = ", ".join(f"`{name}`" for name in step.files) or "no files named"
        lines.append(f"{index}. **{step.title}** ({files})")
        if step.approach:
            lines.append(f"   Approach: {' '.join(step.approach.split())}")
        lines.extend(f"   - {criterion}" for criterion in step.criteria)
        lines.extend(f"   - test: {name}" for name in step.tests)
    return "\n".join(lines)


def command_plan(
    checkout: Path, config: WorkspaceConfig, venv_dir: Path, report_path: Path
) -> CommandPlan:
    """The setup and test commands for this checkout (configured, else detected)."""
    return detect_commands(checkout, config, venv_dir=venv_dir, report_path=report_path)


def prepare(checkout: Path, commands: CommandPlan, environment: RunEnvironment) -> SetupResult:
    """Run the setup commands; keep what they leave in the checkout out of every commit."""
    result = run_setup(checkout, commands, environment)
    exclude_untracked(checkout)
    return result


def implement(
    team: Team,
    checkout: Path,
    spec: SpecText,
    plan: PlanSubmission,
    commands: CommandPlan,
    *,
    allow_paths: Sequence[str] = (),
    shell_env: Mapping[str, str] | None = None,
) -> AgentOutcome:
    """Run the implementer on the plan in ``checkout`` (its edits stay uncommitted)."""
    task = task_text(
        "implement",
        number=spec.number,
        title=spec.title,
        spec=delimit(spec.body, f"issue #{spec.number}", clean=False),
        criteria=numbered(list(spec.criteria)),
        plan=render_plan(plan),
        test_command=f"`{commands.test}`" if commands.test else "the project's tests",
    )
    return _implementer(team, checkout, task, allow_paths, shell_env)


def _implementer(
    team: Team,
    checkout: Path,
    task: str,
    allow_paths: Sequence[str],
    shell_env: Mapping[str, str] | None,
) -> AgentOutcome:
    """The implementer on ``task``, its editor kept off the protected paths."""
    return team.run(
        "implementer", task, checkout, denied=editor_denied_paths(allow_paths), shell_env=shell_env
    )


def follow_up(
    team: Team,
    checkout: Path,
    spec: SpecText,
    *,
    pull: int,
    round_number: int,
    threads: str,
    commands: CommandPlan,
    allow_paths: Sequence[str] = (),
    shell_env: Mapping[str, str] | None = None,
) -> AgentOutcome:
    """Run the implementer on review threads (``threads`` already delimited as untrusted)."""
    task = task_text(
        "followup",
        round=round_number,
        pull=pull,
        title=spec.title,
        number=spec.number,
        threads=threads,
        spec=delimit(spec.body, f"issue #{spec.number}", clean=False),
        test_command=f"`{commands.test}`" if commands.test else "the project's tests",
    )
    return _implementer(team, checkout, task, allow_paths, shell_env)


def answer(
    team: Team, checkout: Path, *, author: str, pull: int, title: str, thread: str
) -> AgentOutcome:
    """Run the responder on a question (``thread`` already delimited as untrusted)."""
    task = task_text("answer", author=author, pull=pull, title=title, thread=thread)
    return team.run("responder", task, checkout)


def act_on_event(
    team: Team,
    checkout: Path,
    *,
    flow: str,
    agent: str,
    role: str,
    instructions: str,
    pull: int,
    event: str,
) -> AgentOutcome:
    """Run a repository's event agent (the responder's tools, under its own name)."""
    task = task_text(
        "event",
        flow=flow,
        agent=agent,
        role=role,
        pull=pull,
        instructions=instructions,
        event=event,
    )
    return team.run("responder", task, checkout, agent=agent)


def settle(
    team: Team,
    checkout: Path,
    *,
    agent: str,
    authority: str,
    pull: int,
    title: str,
    rounds: int,
    findings: str,
) -> AgentOutcome:
    """Run the lead role as ``agent`` on the findings the rounds left (already delimited)."""
    task = task_text(
        "settle",
        agent=agent,
        authority=authority,
        pull=pull,
        title=title,
        rounds=rounds,
        findings=findings,
    )
    return team.run("lead", task, checkout, agent=agent)


def test(checkout: Path, commands: CommandPlan, environment: RunEnvironment) -> TestResult:
    """Run the test command and read its JUnit report (the measured result)."""
    return run_tests(checkout, commands, environment)


def check_criteria(spec: SpecText, result: TestResult | None) -> list[CriterionEvidence]:
    """Each acceptance criterion met or not, with the passing tests that prove it."""
    run = result.report.run if result is not None and result.report is not None else None
    return link_criteria(list(spec.criteria), run)
