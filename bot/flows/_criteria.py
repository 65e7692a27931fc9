"""The ``specbot/criteria`` check on every head commit of specbot's pull requests.

The review pipeline's last stage: the head commit (pushed by specbot or by a person) in a fresh
checkout, its tests run with the workspace runner, each criterion linked to the tests named for
it, the waivers read from specbot's own comments, and the spec-conformance findings the review
tied to a criterion. The check run and the pull request's criteria table are written from that.
``/specbot waive N reason`` records a waiver and recomputes both from the stored test run.
"""

from __future__ import annotations

from bot.branches import is_specbot_branch, slugify
from bot.commands import find_command
from bot.criteria import (
    WaiveError,
    Waiver,
    check_summary,
    conclusion,
    criteria_rows,
    parse_waive,
    pull_section,
    read_waivers,
    replace_pull_section,
    title,
    waiver_comment,
)
from bot.evidence import CriterionEvidence
from bot.flows._context import JobContext, RepoContext
from bot.flows._jobs import CriteriaResult, ReviewJob
from bot.flows._payloads import Comment
from bot.flows._runs import spec_for_pull
from bot.flows._services import Services
from bot.flows._transient import retry_transient
from bot.orchestra import review_prefix
from bot.ports import PullInfo, RepoGitHub
from bot.pull_request import TestReport
from bot.work import WorkError, check_criteria, test

CHECK_NAME = "specbot/criteria"


def _skipped(job: ReviewJob) -> CriteriaResult:
    return CriteriaResult(
        repo=job.repo, installation_id=job.installation_id, pull=job.pull, head_sha=job.head_sha
    )


def _run_tests(
    context: JobContext, job: ReviewJob, pull: PullInfo, key: str
) -> tuple[bool, TestReport | None, list[CriterionEvidence]]:
    """Test the head commit in a fresh checkout; False when the branch moved on meanwhile."""
    services, github = context.services, context.github
    spec = spec_for_pull(services, github, job.repo, pull.head_ref)
    workspaces = services.workspaces
    workspaces.refresh_mirror(job.repo, github.clone_url(), github.git_credentials())
    checkout = workspaces.checkout(job.repo, key, pull.head_ref, pull.base_ref, github.clone_url())
    try:
        if workspaces.head_sha(checkout) != job.head_sha:
            return False, None, []
        config = job.config or services.repo_config(github, pull.base_ref)
        workspace = config.workspace
        try:
            commands, environment = services.set_up(checkout, job.repo, workspace, slugify(key, 80))
            result = test(checkout, commands, environment)
        except WorkError as exc:  # a setup that fails proves nothing: every test unproven
            context.log.info("criteria: setup failed", error=str(exc))
            result = None
    finally:
        workspaces.remove(checkout)
    evidence = check_criteria(spec, result) if spec is not None else []
    return True, (result.report if result is not None else None), evidence


def criteria_stage(context: JobContext, job: ReviewJob) -> CriteriaResult:
    """Compute and publish the ``specbot/criteria`` check of the job's head commit."""
    services, github = context.services, context.github
    if job.pull_info is not None and not is_specbot_branch(job.pull_info.head_ref):
        return _skipped(job)  # not specbot's pull request: no criteria, no GET to learn it
    pull = github.pull(job.pull)  # fresh: its head may have moved on since the trigger
    if not is_specbot_branch(pull.head_ref) or pull.head_sha != job.head_sha:
        return _skipped(job)
    tested, tests, evidence = _run_tests(context, job, pull, f"{context.run_id}/criteria")
    if not tested or context.cancelled():
        return _skipped(job)
    check_id = retry_transient(
        lambda: github.start_check_run(
            job.head_sha, CHECK_NAME, services.run_url(context.run_id), external_id=context.run_id
        ),
        "opening the criteria check",
    )
    result = CriteriaResult(
        repo=job.repo,
        installation_id=job.installation_id,
        pull=job.pull,
        head_sha=job.head_sha,
        checked=True,
        check_run_id=check_id,
        evidence=evidence,
        tests=tests,
        findings=job.criteria_findings,
    )
    return retry_transient(
        lambda: publish(github, result, pull, _waivers(github, job.pull)),
        "publishing the criteria check",
    )


def _waivers(github: RepoGitHub, pull: int) -> dict[int, Waiver]:
    comments = github.comments(pull)
    return read_waivers(((c.author, c.body) for c in comments), github.bot_login)


def publish(
    github: RepoGitHub, result: CriteriaResult, pull: PullInfo, waivers: dict[int, Waiver]
) -> CriteriaResult:
    """Complete the check run and keep the pull request's criteria table in step (both
    writes are whole replacements, so a repeat after a failure changes nothing more)."""
    rows = criteria_rows(result.evidence, waivers, result.findings)
    outcome = conclusion(rows)
    assert result.check_run_id is not None
    github.complete_check_run(
        result.check_run_id,
        outcome,
        title(rows),
        check_summary(rows, result.tests, result.head_sha),
        [],
    )
    body = (pull.body or "").replace("\r\n", "\n")
    new_body = replace_pull_section(body, pull_section(rows, result.tests, result.head_sha))
    if new_body != body:  # no write when nothing changed
        github.update_pull(result.pull, pull.title, new_body)
    return result.model_copy(update={"conclusion": outcome})


def _stored(services: Services, repo: str, pull: int, head_sha: str) -> CriteriaResult | None:
    """The latest criteria computed at ``head_sha`` (from the finished review runs)."""
    for run_id in reversed(services.runs.run_ids(review_prefix(repo, pull))):
        if services.runs.status(run_id) != "SUCCESS":
            continue
        output = services.runs.result(run_id, timeout=0.0)
        if not isinstance(output, dict) or "checked" not in output:
            continue
        found = CriteriaResult.model_validate(output)
        if found.checked and found.head_sha == head_sha:
            return found
    return None


def obey_waive(context: RepoContext, number: int, comment: Comment) -> str | None:
    """``/specbot waive N reason`` (write access): record it, then recompute the check."""
    services, github = context.services, context.github
    command = find_command(comment.body)
    pull = github.pull(number)
    if not is_specbot_branch(pull.head_ref):
        return "`/specbot waive` works on specbot's pull requests only."
    spec = spec_for_pull(services, github, context.repo, pull.head_ref)
    count = len(spec.criteria) if spec is not None else 0
    try:
        criterion, reason = parse_waive(command.argument if command else "")
        if not 1 <= criterion <= count:
            raise WaiveError(f"there is no criterion {criterion} (the spec has {count})")
    except WaiveError as exc:
        return f"Not waived: {exc}."
    waiver = Waiver(
        criterion=criterion, by=context.sender or "?", reason=reason, command_id=comment.id
    )
    waivers = _waivers(github, number)
    if not any(w.command_id == comment.id for w in waivers.values()):  # not on a repeat
        github.create_comment(number, waiver_comment(waiver))
    waivers[criterion] = waiver
    stored = _stored(services, context.repo, number, pull.head_sha)
    if stored is None:
        return None  # the check of this head is still being computed: it reads the waiver
    publish(github, stored, pull, waivers)
    return None
