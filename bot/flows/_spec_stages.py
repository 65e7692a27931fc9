"""The spec flow's stages: gate, plan, implement, test, self-check and publish.

Each works in a fresh checkout made from the repository's cached mirror, so any worker can run
any stage; the implementer's change travels between stages as a patch in the run's state.
Publishing is idempotent: the commit carries a ``Specbot-Run`` trailer and a repeat finds it
on the branch, and the pull request is found by its head branch before one is opened.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.agents.tools import PlanSubmission
from bot.branches import slugify
from bot.clarify import questions_for, render_questions
from bot.flows._jobs import ReviewJob
from bot.flows._runs import CRITERIA_ONLY_SUFFIX, start_review_run
from bot.flows._stage import StageTools, interrupted
from bot.flows._state import SpecRun
from bot.orchestra import review_workflow_id
from bot.ports import PullInfo, StatusState, bot_identity
from bot.posted import inert_line, inert_plain, inert_text
from bot.pull_request import pull_title, render_pull_body
from bot.spec import Verdict, lint, render_markdown
from bot.tracking import StageState
from bot.work import (
    ProjectFacts,
    SpecText,
    WorkError,
    check_criteria,
    implement,
    plan_work,
    render_plan,
    shell_base_env,
    test,
    venv_environment,
)
from bot.workspace import (
    CommandPlan,
    RunEnvironment,
    exclude_caches,
    restore_before_commit,
    snapshot_git,
)

MAX_PATCH_BYTES = 5_000_000
_DIFF_PATH = re.compile(r"^diff --git a/(.+?) b/(.+)$", re.MULTILINE)


def gate(tools: StageTools, run: SpecRun) -> SpecRun:
    """Judge the spec; set ``specbot/spec``; stop with what to add when it is not ready."""
    config = tools.config
    verdict = lint(run.body, config.gate)
    base = tools.github.default_branch()
    run = run.model_copy(
        update={
            "base": base,
            "config": config,
            "ready": verdict.ready,
            "gate_markdown": _with_questions(render_markdown(verdict), verdict),
            "started_at": run.started_at,
        }
    )
    sha = tools.github.branch_sha(base)
    if sha is not None:
        state: StatusState = "success" if verdict.ready else "failure"
        what = "ready" if verdict.ready else "not ready"
        tools.github.set_status(
            sha, "specbot/spec", state, f"Spec #{run.issue} {what} (score {verdict.score})", None
        )
    page = tools.services.run_url(run.run_id)
    if page is not None:
        run = run.with_link("run page", page)
    detail = f"score {verdict.score}, {'ready' if verdict.ready else 'not ready'}"
    run = run.with_stage("gate", StageState.DONE, None, detail)
    if not verdict.ready:
        return run.stop(
            "The spec is not ready yet: see what to add below.",
            "Edit the issue: specbot checks it again when it changes.",
        )
    if not config.flow_enabled("implement"):
        return run.stop(
            "The spec is ready. Implementation is turned off in this repository "
            "(`flows.implement.enabled: false` in `.github/specbot.yml`): specbot stops here.",
            "A person implements it, or a maintainer turns the implement flow on.",
        )
    return run


def _with_questions(gate_markdown: str, verdict: Verdict) -> str:
    """The verdict, after the author's questions when the spec is not ready."""
    questions = render_questions(questions_for(verdict))
    return f"{questions}\n\n{gate_markdown}" if questions else gate_markdown


def _checkout(tools: StageTools, run: SpecRun, stage: str) -> Path:
    workspaces = tools.services.workspaces
    credentials = tools.github.git_credentials()
    clone_url = tools.github.clone_url()
    workspaces.refresh_mirror(run.repo, clone_url, credentials)
    key = f"{run.run_id}/{stage}"
    checkout = workspaces.checkout(run.repo, key, run.branch, run.base, clone_url)
    exclude_caches(checkout)
    return checkout


def _commands(
    tools: StageTools, run: SpecRun, checkout: Path
) -> tuple[CommandPlan, RunEnvironment]:
    workspace = tools.config.workspace
    return tools.services.set_up(checkout, run.repo, workspace, slugify(run.run_id, 80))


def plan(tools: StageTools, run: SpecRun) -> SpecRun:
    """The planner reads the code and submits a plan; with ``plan_approval`` the run waits."""
    checkout = _checkout(tools, run, "plan")
    try:
        tools.team.project = ProjectFacts(base_branch=run.base or None)
        spec = SpecText.of(run.issue, run.title, run.body)
        submitted = plan_work(tools.team, checkout, spec)
    finally:
        tools.services.workspaces.remove(checkout)
    steps = len(submitted.steps)
    run = run.model_copy(
        update={
            "plan": submitted.model_dump(mode="json"),
            "plan_markdown": inert_text(render_plan(submitted), 30_000),  # shown on the issue
        }
    ).with_stage("plan", StageState.DONE, None, f"{steps} step(s)")
    if tools.config.plan_approval:
        run = run.model_copy(update={"awaiting_approval": True})
        return run.stop(
            "The plan is ready and waits for approval:\n\n" + run.plan_markdown,
            f"Comment `/specbot approve` on #{run.issue} to implement it, or edit the spec.",
        )
    return run


def implement_stage(tools: StageTools, run: SpecRun) -> SpecRun:
    """The implementer changes the checkout; protected paths are put back; the patch is kept."""
    if run.plan is None:
        raise WorkError("there is no plan to implement")
    checkout = _checkout(tools, run, "implement")
    try:
        commands, _environment = _commands(tools, run, checkout)
        tools.team.project = ProjectFacts(run.base or None, commands.setup, commands.test)
        snapshot = snapshot_git(checkout)
        allow = tools.config.workspace.allow_paths
        outcome = implement(
            tools.team,
            checkout,
            SpecText.of(run.issue, run.title, run.body),
            PlanSubmission.model_validate(run.plan),
            commands,
            allow_paths=allow,
            shell_env=venv_environment(commands.venv_dir, shell_base_env()),
        )
        notes = restore_before_commit(checkout, f"origin/{run.base}", snapshot, allow)
        patch = tools.services.workspaces.staged_patch(checkout)
    finally:
        tools.services.workspaces.remove(checkout)
    if len(patch.encode()) > MAX_PATCH_BYTES:
        raise WorkError(f"the change is over {MAX_PATCH_BYTES // 1_000_000} MB")
    run = run.model_copy(
        update={
            "patch": patch,
            "implementer_summary": outcome.final_text,
            "notes": [*run.notes, *notes],
        }
    )
    files = len(_changed_files(patch))
    if tools.services.stopping.is_set():
        return interrupted(tools, run, "implement")  # publish pushes the work so far
    if outcome.status != "completed":
        said = inert_line(outcome.message, 500)
        return run.with_stage("implement", StageState.FAILED, None, said).stop(
            f"The implementer stopped early: {said}. The work so far is pushed to `{run.branch}`.",
            f"Comment `/specbot retry` on #{run.issue} to run it again.",
        )
    if not patch.strip() and run.continues is None:
        # (a continued run's work may all be on the branch already)
        raise WorkError("the implementer changed nothing")
    return run.with_stage("implement", StageState.DONE, None, f"{files} file(s) changed")


def test_stage(tools: StageTools, run: SpecRun) -> SpecRun:
    """Run the tests on the change in a fresh checkout; link each criterion to its tests."""
    checkout = _checkout(tools, run, "test")
    try:
        tools.services.workspaces.apply_patch(checkout, run.patch)
        commands, environment = _commands(tools, run, checkout)
        result = test(checkout, commands, environment)
    finally:
        tools.services.workspaces.remove(checkout)
    evidence = check_criteria(SpecText.of(run.issue, run.title, run.body), result)
    run_summary = result.report.run if result.report is not None else None
    detail: str = result.status
    if run_summary is not None:
        detail = f"{result.status}: {run_summary.count('passed')} passed, " + (
            f"{run_summary.count('failed')} failed"
        )
    met = sum(1 for item in evidence if item.status == "met")
    run = run.model_copy(
        update={
            "test_status": result.status,
            "tests": result.report,
            "test_notes": list(result.notes),
            "evidence": evidence,
        }
    )
    run = run.with_stage("test", StageState.DONE, None, detail)
    return run.with_stage("self-check", StageState.DONE, 0.0, f"{met} of {len(evidence)} met")


def _changed_files(patch: str) -> list[str]:
    return [match.group(2) for match in _DIFF_PATH.finditer(patch)]


def _commit_message(run: SpecRun) -> str:
    met = sum(1 for item in run.evidence if item.status == "met")
    lines = [
        f"{pull_title(run.issue, run.title)}"[:72],
        "",
        # The model's words: no closing keyword or mention may act from the history.
        inert_plain(run.implementer_summary.strip()[:2000] or "Implements the spec."),
        "",
        f"Acceptance criteria met by passing tests: {met} of {len(run.evidence)}.",
        f"Tests: {run.test_status or 'not run'}.",
        "",
        f"Refs #{run.issue}",
        f"Specbot-Run: {run.run_id}",
    ]
    return "\n".join(lines)


def _start_review(tools: StageTools, run: SpecRun, pull: PullInfo, opened: bool) -> str:
    """Have the pull request's head commit reviewed (or only its criteria checked, where
    reviews are off); the next step, in words for the tracking comment."""
    job = ReviewJob(
        repo=run.repo,
        installation_id=run.installation_id,
        pull=pull.number,
        head_sha=pull.head_sha,
        config=tools.config,
        pull_info=pull,
        no_review_comments=opened,  # just opened: nobody has commented on its lines yet
    )
    run_id = review_workflow_id(run.repo, pull.number, pull.head_sha)
    if not tools.config.flow_enabled("review"):  # the criteria check follows every head commit
        start_review_run(tools.services, job, f"{run_id}{CRITERIA_ONLY_SUFFIX}", "criteria")
        return "Reviews are turned off here: it is ready for a person's review."
    start_review_run(tools.services, job, run_id)
    return "The reviewer swarm reviews it now; its findings come back here."


def publish(tools: StageTools, run: SpecRun) -> SpecRun:
    """Commit and push the change to the issue's branch, then open or update its pull request."""
    if not run.patch.strip() and run.continues is None:
        return run.with_stage("publish", StageState.SKIPPED, None, "nothing to publish")
    github, workspaces = tools.github, tools.services.workspaces
    checkout = _checkout(tools, run, "publish")
    try:
        trailer = f"Specbot-Run: {run.run_id}"
        pushed = workspaces.log_messages(checkout, run.base)
        if run.patch.strip() and not any(trailer in message for message in pushed):
            workspaces.apply_patch(checkout, run.patch)
            workspaces.commit_all(
                checkout, _commit_message(run), bot_identity(tools.github.bot_login)
            )
            workspaces.push(checkout, run.branch, github.git_credentials())
        head = workspaces.head_sha(checkout)
    finally:
        workspaces.remove(checkout)
    if not run.patch.strip() and not pushed:  # a continued run with nothing on the branch
        return run.with_stage("publish", StageState.SKIPPED, None, "nothing to publish")
    run = run.model_copy(update={"head_sha": head})
    run = run.with_link("branch", f"{github.clone_url().removesuffix('.git')}/tree/{run.branch}")
    if run.stopped:  # the work so far is on the branch; no pull request for unfinished work
        return run.with_stage("publish", StageState.DONE, None, f"pushed to {run.branch}")
    body = render_pull_body(
        run.issue,
        (PlanSubmission.model_validate(run.plan).summary if run.plan else ""),
        run.evidence,
        run.tests,
        _changed_files(run.patch),
        [*run.notes, *run.test_notes],
    )
    title = pull_title(run.issue, run.title)
    pull = github.find_open_pull(run.branch)
    opened = pull is None
    if pull is None:
        pull = github.open_pull(run.branch, run.base, title, body)
    else:
        github.update_pull(pull.number, title, body)
        pull = pull.model_copy(update={"title": title, "body": body})
    run = run.model_copy(update={"pull": pull.number, "pull_url": pull.html_url})
    run = run.with_link("pull request", pull.html_url)
    next_step = _start_review(tools, run, pull.model_copy(update={"head_sha": head}), opened)
    met = sum(1 for item in run.evidence if item.status == "met")
    run = run.model_copy(
        update={
            "outcome": f"Pull request #{pull.number} is open: {met} of {len(run.evidence)} "
            f"acceptance criteria met by passing tests; tests {run.test_status}.",
            "next_steps": [next_step],
        }
    )
    return run.with_stage("publish", StageState.DONE, None, f"#{pull.number}")
