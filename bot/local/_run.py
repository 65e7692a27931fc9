"""``specbot run`` without GitHub: a spec implemented on a new branch of a local repository.

The stages are those of the App's spec flow (``bot.work``): setup, plan, implement, put back
protected paths, test, check the criteria, commit. Whatever happens after the implementer
starts, its work is committed on the branch, so a failed or limited run loses nothing.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.git import GitWorkspaces
from bot.agents import ModelError
from bot.config import RepoConfig
from bot.evidence import CriterionEvidence
from bot.local._git import (
    LocalGitError,
    changed_paths,
    clone_for_run,
    identity,
    publish_branch,
)
from bot.local._progress import Progress
from bot.local._report import RunReport, TestSummary, UsageSummary
from bot.work import (
    SpecText,
    Team,
    WorkError,
    check_criteria,
    command_plan,
    implement,
    plan_work,
    prepare,
    test,
    venv_environment,
)
from bot.workspace import (
    CommandPlan,
    GitSnapshot,
    GuardError,
    RunEnvironment,
    exclude_caches,
    restore_before_commit,
    snapshot_git,
)

_SUBJECT_CHARS = 72


@dataclass(frozen=True)
class RunRequest:
    """What one local run works on and where it keeps its files."""

    repo: Path
    spec_name: str
    spec: SpecText
    base_sha: str
    branch: str
    config: RepoConfig
    work_dir: Path  # this run's folder: the checkout and the test report
    data_dir: Path  # caches shared across runs: HOME, virtual environments
    venv: Path | None = None  # an existing virtual environment, used as it is
    isolate: bool = True
    keep_checkout: bool = False


@dataclass
class _State:
    """What the run has found out so far (filled stage by stage)."""

    reason: str = ""
    implemented: bool = False
    unchanged: bool = False  # the implementer left every file as it was
    plan: str = ""  # the planner's summary
    summary: str = ""  # the implementer's closing words
    commit: str | None = None
    published: bool = False
    files: list[str] = field(default_factory=list)
    tests: TestSummary | None = None
    criteria: list[CriterionEvidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def default_venv_dir(data_dir: Path, repo: Path) -> Path:
    """The cached virtual environment of ``repo`` (one per repository, reused across runs)."""
    digest = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:12]
    return data_dir / "venvs" / f"{repo.name}-{digest}"


def run_spec(request: RunRequest, team: Team, progress: Progress) -> RunReport:
    """Run every stage on a private checkout; the report says what happened and why."""
    state = _State()
    checkout = request.work_dir / "checkout"
    try:
        with progress.stage("checkout", f"a private checkout of {request.base_sha[:12]}") as notes:
            clone_for_run(request.repo, request.base_sha, request.branch, checkout)
            exclude_caches(checkout)
            notes.append(f"branch {request.branch}")
    except (LocalGitError, OSError) as exc:
        state.reason = f"the private checkout could not be made: {exc}"
        return _finish(request, team, checkout, progress, state)
    environment = RunEnvironment(
        home=request.data_dir / "home", isolate_tests=request.isolate, sandbox=team.sandbox
    )
    commands = _setup(request, checkout, environment, progress, state)
    if commands is not None:
        snapshot = snapshot_git(checkout)
        state.implemented = _plan_and_implement(request, team, checkout, commands, progress, state)
        if state.implemented and _test_and_check(
            request, checkout, commands, environment, snapshot, progress, state
        ):
            _commit(request, checkout, snapshot, progress, state)
    return _finish(request, team, checkout, progress, state)


def _setup(
    request: RunRequest,
    checkout: Path,
    environment: RunEnvironment,
    progress: Progress,
    state: _State,
) -> CommandPlan | None:
    venv_dir = request.venv or default_venv_dir(request.data_dir, request.repo)
    report = request.work_dir / "junit.xml"
    commands = command_plan(checkout, request.config.workspace, venv_dir, report)
    if request.venv is not None and commands.kind == "python":
        # A given environment is used as it is: nothing is installed into it.
        reason = f"a Python project: tests run with pytest in {request.venv}, used as it is"
        commands = commands.model_copy(update={"setup": (), "reason": reason})
    state.notes.append(commands.reason)
    try:
        with progress.stage("setup", f"{len(commands.setup)} command(s)") as notes:
            result = prepare(checkout, commands, environment)
            failure = result.failure()
            if failure is not None:
                raise WorkError(failure)
            notes.append(commands.reason)
    except WorkError as exc:
        state.reason = f"setup failed: {exc}"
        return None
    return commands


def _plan_and_implement(
    request: RunRequest,
    team: Team,
    checkout: Path,
    commands: CommandPlan,
    progress: Progress,
    state: _State,
) -> bool:
    """Plan and implement; False when no implementation was attempted (nothing to commit)."""
    try:
        with progress.stage("plan", "the planner reads the code and submits a plan") as notes:
            plan = plan_work(team, checkout, request.spec)
            state.plan = plan.summary.strip()
            notes.append(f"{len(plan.steps)} step(s): {plan.summary.strip()[:120]}")
    except (WorkError, ModelError) as exc:
        state.reason = f"no plan: {exc}"
        return False
    try:
        with progress.stage("implement", "the implementer edits the code and runs tests") as notes:
            outcome = implement(
                team,
                checkout,
                request.spec,
                plan,
                commands,
                allow_paths=request.config.workspace.allow_paths,
                shell_env=venv_environment(commands.venv_dir),
            )
            notes.append(f"{outcome.status} after {outcome.turns} turn(s)")
            state.summary = outcome.final_text.strip()
            if outcome.status != "completed":
                raise WorkError(
                    f"the implementer stopped early ({outcome.status}: {outcome.message})"
                )
    except (WorkError, ModelError) as exc:
        state.reason = str(exc) if isinstance(exc, WorkError) else f"the model failed: {exc}"
    return True


def _test_and_check(
    request: RunRequest,
    checkout: Path,
    commands: CommandPlan,
    environment: RunEnvironment,
    snapshot: GitSnapshot,
    progress: Progress,
    state: _State,
) -> bool:
    """Put back protected paths, test, link criteria; False when committing is unsafe."""
    allow = request.config.workspace.allow_paths
    try:
        with progress.stage("guard", "protected paths and git settings put back") as notes:
            undone = restore_before_commit(checkout, request.base_sha, snapshot, allow)
            state.notes.extend(undone)
            notes.append(f"{len(undone)} change(s) undone")
    except GuardError as exc:
        state.reason = f"the checkout could not be made safe to commit: {exc}"
        return False
    with progress.stage("test", commands.test or "no test command") as notes:
        result = test(checkout, commands, environment)
        state.tests = TestSummary.of(result)
        notes.append(f"{result.status}: {state.tests.counts()}")
    with progress.stage("criteria", "each acceptance criterion against the tests") as notes:
        state.criteria = check_criteria(request.spec, result)
        met = sum(1 for item in state.criteria if item.status == "met")
        notes.append(f"{met} of {len(state.criteria)} met")
    if result.status != "passed" and not state.reason:
        state.reason = _test_reason(state.tests)
    return True


def _test_reason(tests: TestSummary) -> str:
    if tests.status == "no_test_command":
        return f"no tests ran: {'; '.join(tests.notes)}"
    if tests.status == "timed_out":
        return "the tests timed out"
    return f"the tests failed ({tests.counts()}, exit {tests.exit_code})"


def _commit(
    request: RunRequest, checkout: Path, snapshot: GitSnapshot, progress: Progress, state: _State
) -> None:
    allow = request.config.workspace.allow_paths
    try:
        with progress.stage("commit", f"on branch {request.branch}") as notes:
            # Again: the test command ran code the implementer wrote.
            for note in restore_before_commit(checkout, request.base_sha, snapshot, allow):
                if note not in state.notes:
                    state.notes.append(note)
            message = commit_message(request, state)
            sha = GitWorkspaces(request.data_dir).commit_all(
                checkout, message, identity(request.repo)
            )
            if sha is None:
                notes.append("nothing to commit: the implementer changed no file")
                state.unchanged = True
                state.reason = state.reason or "the implementer changed no file"
                return
            state.commit = sha
            state.files = changed_paths(checkout, request.base_sha)
            publish_branch(request.repo, checkout, request.branch)
            state.published = True
            notes.append(f"{sha[:12]}, {len(state.files)} file(s)")
    except (LocalGitError, GuardError) as exc:
        state.reason = f"the commit could not be made or handed back: {exc}"


def commit_message(request: RunRequest, state: _State) -> str:
    """Subject and body: the spec, each criterion met or not with its tests, the test run."""
    title = request.spec.title.strip() or request.spec_name
    subject = f"specbot: {title}"
    if len(subject) > _SUBJECT_CHARS:
        subject = subject[: _SUBJECT_CHARS - 1].rstrip() + "…"
    lines = [subject, "", f"Implements {request.spec_name} (specbot run, local)."]
    if state.criteria:
        lines += ["", "Acceptance criteria:"]
        for item in state.criteria:
            names = ", ".join(item.tests) if item.tests else "no test names it"
            lines.append(f"- [{_STATUS_WORDS[item.status]}] {item.number}. {item.text} ({names})")
    if state.tests is not None:
        tests = state.tests
        ran = f"`{tests.command}`" if tests.command else "no test command"
        lines += ["", f"Tests: {ran}: {tests.status} ({tests.counts()})"]
    if state.reason:
        lines += ["", f"Incomplete: {state.reason}"]
    guarded = [note for note in state.notes if "agents may not" in note]
    if guarded:
        lines += ["", "Undone before committing:", *(f"- {note}" for note in guarded)]
    return "\n".join(lines) + "\n"


_STATUS_WORDS = {"met": "met", "failed": "not met", "unverified": "not verified"}


def _finish(
    request: RunRequest, team: Team, checkout: Path, progress: Progress, state: _State
) -> RunReport:
    ok = state.published and state.tests is not None and state.tests.status == "passed"
    ok = ok and not state.reason
    # An implementation that did not reach the user's repository stays where it is.
    kept = request.keep_checkout or (
        state.implemented and not state.published and not state.unchanged
    )
    if not kept:
        shutil.rmtree(request.work_dir, ignore_errors=True)
    calls = team.ledger.calls()
    return RunReport(
        ok=ok,
        outcome="committed" if state.published else "not_committed",
        reason=state.reason or "committed, tests passed",
        spec=request.spec_name,
        title=request.spec.title,
        repo=str(request.repo),
        base=request.base_sha,
        branch=request.branch if state.published else None,
        commit=state.commit if state.published else None,
        files_changed=tuple(state.files),
        plan=state.plan,
        implementer_summary=state.summary,
        tests=state.tests,
        criteria=tuple(state.criteria),
        stages=tuple(progress.stages),
        notes=tuple(state.notes),
        usage=UsageSummary(
            model=team.model_name if calls else None,
            calls=len(calls),
            input_tokens=team.input_tokens,
            output_tokens=team.output_tokens,
            cost_usd=round(team.cost_usd, 6),
        ),
        checkout=str(checkout) if kept else None,
    )
