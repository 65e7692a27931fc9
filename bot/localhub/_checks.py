"""Commit statuses and check runs (only Apps create check runs, as on GitHub)."""

from __future__ import annotations

from typing import Any

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._auth import Principal
from bot.localhub._errors import ApiError, missing_field, not_found, validation_failed
from bot.localhub._hub import Hub
from bot.localhub._model import App, CheckRun, CheckSuite, CommitStatus, Repo
from bot.localhub._payloads import check_run_event, check_suite_event

STATUS_STATES = ("error", "failure", "pending", "success")
RUN_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "timed_out",
)


def resolve_commit(hub: Hub, repo: Repo, ref: str, missing: int = 422) -> str:
    """A branch, tag or sha as a commit sha (``missing``: 422 "No commit found" or 404)."""
    sha = gitrepo.resolve_branch_or_sha(hub.repo_path(repo.full_name), ref)
    if sha is None:
        if missing == 404:
            raise not_found()
        raise ApiError(422, f"No commit found for SHA: {ref}")
    return sha


def create_status(
    hub: Hub, repo: Repo, sha: str, creator: str, fields: dict[str, Any]
) -> CommitStatus:
    """Record a commit status (statuses fire no webhook localhub supports)."""
    state = fields.get("state")
    if state is None:
        raise missing_field("Status", "state")
    if state not in STATUS_STATES:
        raise validation_failed("Status", "state")
    full_sha = resolve_commit(hub, repo, sha)
    now = hub.now()
    item = CommitStatus(
        id=hub.new_id(),
        repo=repo.full_name,
        sha=full_sha,
        state=str(state),
        context=str(fields.get("context") or "default"),
        description=fields.get("description"),
        target_url=fields.get("target_url"),
        creator=creator,
        created_at=now,
        updated_at=now,
    )
    with hub.lock:
        hub.state.statuses[item.id] = item
    return item


def combined_state(statuses: list[CommitStatus]) -> str:
    """failure if any failed or errored, pending if any pending or none, else success."""
    latest: dict[str, CommitStatus] = {}
    for item in sorted(statuses, key=lambda s: s.id):
        latest[item.context] = item
    states = {s.state for s in latest.values()}
    if states & {"error", "failure"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def suite_for(hub: Hub, repo: Repo, app_id: int, sha: str) -> CheckSuite:
    """The App's check suite for a commit, created on first use."""
    with hub.lock:
        for suite in hub.state.check_suites.values():
            if (suite.repo, suite.app_id, suite.head_sha) == (repo.full_name, app_id, sha):
                return suite
        branches = [
            r.removeprefix("refs/heads/")
            for r, s in gitrepo.list_refs(hub.repo_path(repo.full_name), "refs/heads/").items()
            if s == sha
        ]
        now = hub.now()
        suite = CheckSuite(
            id=hub.new_id(),
            repo=repo.full_name,
            head_sha=sha,
            head_branch=branches[0] if branches else None,
            app_id=app_id,
            created_at=now,
            updated_at=now,
        )
        hub.state.check_suites[suite.id] = suite
        return suite


def _apply(hub: Hub, run: CheckRun, fields: dict[str, Any]) -> None:
    status = fields.get("status")
    conclusion = fields.get("conclusion")
    if status is not None and status not in RUN_STATUSES:
        raise validation_failed("CheckRun", "status")
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise validation_failed("CheckRun", "conclusion")
    if conclusion is not None:
        status = "completed"
    if status == "completed" and conclusion is None and run.conclusion is None:
        raise validation_failed("CheckRun", "conclusion", "missing_field")
    if status is not None:
        run.status = str(status)
    if conclusion is not None:
        run.conclusion = str(conclusion)
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = str(fields.get("completed_at") or hub.now())
    for key in ("details_url", "external_id", "name"):
        if key in fields:
            value = fields[key]
            if not isinstance(value, str) and not (value is None and key != "name"):
                raise validation_failed("CheckRun", key)
            setattr(run, key, value)
    if isinstance(fields.get("output"), dict):
        output = fields["output"]
        if not output.get("title") or not output.get("summary"):
            raise validation_failed("CheckRun", "output")
        added = output.get("annotations") or []
        # GitHub takes at most 50 annotations per request and appends them to earlier ones.
        if not isinstance(added, list) or len(added) > 50:
            raise validation_failed("CheckRun", "annotations")
        kept = list(run.output.get("annotations") or [])
        run.output = {**run.output, **output, "annotations": kept + added}


# GitHub's own App behind a workflow's GITHUB_TOKEN: its check runs belong to it
ACTIONS_APP_ID = 15368


def actions_app(hub: Hub) -> App:
    """The ``github-actions`` App, added to the hub the first time a workflow token needs it."""
    with hub.lock:
        found = hub.state.apps.get(ACTIONS_APP_ID)
        if found is None:
            found = App(
                id=ACTIONS_APP_ID,
                slug="github-actions",
                name="GitHub Actions",
                owner="github",
                public_key_pem="",
                created_at=hub.now(),
            )
            hub.state.apps[ACTIONS_APP_ID] = found
        return found


def create_check_run(hub: Hub, repo: Repo, who: Principal, fields: dict[str, Any]) -> CheckRun:
    """Create a check run for a commit; fires ``check_run.created`` (and completed)."""
    app_id = who.app_id if who.kind != "actions" else actions_app(hub).id
    if app_id is None:
        raise ApiError(403, "You must authenticate via a GitHub App.")
    if not fields.get("name"):
        raise missing_field("CheckRun", "name")
    if not fields.get("head_sha"):
        raise missing_field("CheckRun", "head_sha")
    sha = resolve_commit(hub, repo, str(fields["head_sha"]))
    suite = suite_for(hub, repo, app_id, sha)
    run = CheckRun(
        id=hub.new_id(),
        repo=repo.full_name,
        head_sha=sha,
        name=str(fields["name"]),
        app_id=app_id,
        suite_id=suite.id,
        started_at=str(fields.get("started_at") or hub.now()),
    )
    _apply(hub, run, fields)
    with hub.lock:
        hub.state.check_runs[run.id] = run
    _after_change(hub, run, "created", who)
    return run


def update_check_run(
    hub: Hub, repo: Repo, run_id: int, who: Principal, fields: dict[str, Any]
) -> CheckRun:
    """Update a check run (only its App may); fires ``check_run.completed`` on completion."""
    run = hub.state.check_runs.get(run_id)
    if run is None or run.repo != repo.full_name:
        raise not_found()
    caller = who.app_id if who.kind != "actions" else ACTIONS_APP_ID
    if caller != run.app_id:
        raise ApiError(
            403, f"Invalid app_id `{caller}` - check run can only be modified by its creator."
        )
    was_completed = run.status == "completed"
    with hub.lock:
        # applied to a copy: a bad field leaves the stored run as it was
        run = run.model_copy(deep=True)
        _apply(hub, run, fields)
        hub.state.check_runs[run.id] = run
    if run.status == "completed" and not was_completed:
        _after_change(hub, run, "completed", who)
    return run


def _after_change(hub: Hub, run: CheckRun, action: str, who: Principal) -> None:
    sender = who.login or "localhub"
    hub.emitter.emit("check_run", check_run_event(hub, run, action, sender), run.repo)
    if run.status != "completed":
        return
    if action == "created":
        hub.emitter.emit("check_run", check_run_event(hub, run, "completed", sender), run.repo)
    suite = hub.state.check_suites[run.suite_id]
    runs = [r for r in hub.state.check_runs.values() if r.suite_id == suite.id]
    if all(r.status == "completed" for r in runs):
        with hub.lock:
            suite.status = "completed"
            order = [
                "action_required",
                "cancelled",
                "timed_out",
                "failure",
                "neutral",
                "skipped",
                "success",
            ]
            suite.conclusion = min((r.conclusion or "success" for r in runs), key=order.index)
            suite.updated_at = hub.now()
        hub.emitter.emit(
            "check_suite", check_suite_event(hub, suite, "completed", sender), run.repo
        )
