"""REST: commit statuses, combined status, check runs."""

from __future__ import annotations

from bot.localhub import _checks as checks
from bot.localhub._errors import ApiError, not_found
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._render import repository
from bot.localhub._render_git import check_run, status

R = "/repos/{owner}/{repo}"


def create_status(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/statuses/{sha}``."""
    repo = call.repo(scope="statuses", level="write", role="write")
    if call.who.login is None:
        raise ApiError(401, "Requires authentication")
    item = checks.create_status(call.hub, repo, call.params["sha"], call.who.login, call.fields())
    return Reply(status(call.hub, item), status=201)


def combined_status(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/commits/{ref}/status``."""
    repo = call.repo(scope="statuses")
    sha = checks.resolve_commit(call.hub, repo, call.params["ref"], missing=404)
    found = [
        s for s in call.hub.state.statuses.values() if s.repo == repo.full_name and s.sha == sha
    ]
    latest = {s.context: s for s in sorted(found, key=lambda s: s.id)}
    base = f"{call.hub.api_url}/repos/{repo.full_name}"
    return Reply(
        {
            "state": checks.combined_state(found),
            "sha": sha,
            "total_count": len(latest),
            "statuses": [
                {k: v for k, v in status(call.hub, s).items() if k != "creator"}
                for s in latest.values()
            ],
            "repository": repository(call.hub, repo, full=False),
            "commit_url": f"{base}/commits/{sha}",
            "url": f"{base}/commits/{sha}/status",
        },
        etag=True,
    )


def create_check_run(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/check-runs`` (GitHub Apps only)."""
    repo = call.repo(scope="checks", level="write", role="write")
    run = checks.create_check_run(call.hub, repo, call.who, call.fields())
    return Reply(check_run(call.hub, run), status=201)


def update_check_run(call: Call) -> Reply:
    """``PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}``."""
    repo = call.repo(scope="checks", level="write", role="write")
    run = checks.update_check_run(
        call.hub, repo, call.number("check_run_id"), call.who, call.fields()
    )
    return Reply(check_run(call.hub, run))


def get_check_run(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/check-runs/{check_run_id}``."""
    repo = call.repo(scope="checks")
    run = call.hub.state.check_runs.get(call.number("check_run_id"))
    if run is None or run.repo != repo.full_name:
        raise not_found()
    return Reply(check_run(call.hub, run), etag=True)


def list_check_runs(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/commits/{ref}/check-runs``."""
    repo = call.repo(scope="checks")
    sha = checks.resolve_commit(call.hub, repo, call.params["ref"], missing=404)
    runs = sorted(
        (
            r
            for r in call.hub.state.check_runs.values()
            if r.repo == repo.full_name and r.head_sha == sha
        ),
        key=lambda r: r.id,
        reverse=True,
    )
    name = call.query.get("check_name")
    if name:
        runs = [r for r in runs if r.name == name]
    return Reply(
        {"total_count": len(runs), "check_runs": [check_run(call.hub, r) for r in runs]},
        etag=True,
    )


ENDPOINTS = [
    Endpoint("POST", R + "/statuses/{sha}", create_status),
    Endpoint("GET", R + "/commits/{ref}/status", combined_status),
    Endpoint("GET", R + "/commits/{ref}/check-runs", list_check_runs),
    Endpoint("POST", R + "/check-runs", create_check_run),
    Endpoint("GET", R + "/check-runs/{check_run_id}", get_check_run),
    Endpoint("PATCH", R + "/check-runs/{check_run_id}", update_check_run),
]
