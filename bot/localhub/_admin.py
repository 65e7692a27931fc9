"""The admin API under ``/_localhub/``: seed, act as users, faults, state and logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.localhub._errors import ApiError
from bot.localhub._gitrepo import GitError
from bot.localhub._localhub import LocalHub
from bot.localhub._seed import SeedApp, SeedError, SeedInstallation
from bot.localhub._workflow_permissions import WorkflowPermissionsError

PREFIX = "/_localhub"
Action = Callable[[LocalHub, dict[str, Any], dict[str, str]], Any]


def _route(method: str, path: str, action: Action, status: int = 200) -> Route:
    async def run(request: Request) -> Response:
        local: LocalHub = request.app.state.localhub
        raw = await request.body()
        try:
            if raw.strip():
                parsed = (
                    yaml.safe_load(raw)
                    if "yaml" in request.headers.get("content-type", "")
                    else json.loads(raw)
                )
            else:
                parsed = {}
            body = parsed if isinstance(parsed, dict) else {"value": parsed}
            params = {**dict(request.query_params), **dict(request.path_params)}
            result = await run_in_threadpool(action, local, body, params)
        except (ValueError, yaml.YAMLError) as error:
            message = (
                "Problems parsing JSON" if isinstance(error, json.JSONDecodeError) else str(error)
            )
            unprocessable = isinstance(error, SeedError | WorkflowPermissionsError)
            return JSONResponse({"message": message}, 422 if unprocessable else 400)
        except ApiError as error:
            return JSONResponse(error.body(), error.status)
        except (KeyError, TypeError, GitError, ValidationError) as error:
            return JSONResponse({"message": f"{type(error).__name__}: {error}"}, 422)
        return JSONResponse({"ok": True} if result is None else result, status)

    return Route(PREFIX + path, run, methods=[method])


def _repo(params: dict[str, str]) -> str:
    return f"{params['owner']}/{params['repo']}"


def _user(body: dict[str, Any]) -> str:
    login = body.get("as_user")
    if not isinstance(login, str) or not login:
        raise ValueError("as_user is required")
    return login


def _load_seed(local: LocalHub, body: dict[str, Any], params: dict[str, str]) -> Any:
    base = Path(params.get("base_dir") or Path.cwd())
    local.load_seed(body, base_dir=base)
    return None


def _add_app(local: LocalHub, body: dict[str, Any], params: dict[str, str]) -> Any:
    local.add_app(SeedApp.model_validate(body))
    return None


def _push(local: LocalHub, body: dict[str, Any], params: dict[str, str]) -> Any:
    files = body.get("files")
    if not isinstance(files, dict):
        raise ValueError("files must map paths to contents (null deletes)")
    sha = local.push(
        _repo(params),
        str(body.get("branch") or local.hub.repo(_repo(params)).default_branch),
        files,
        as_user=_user(body),
        message=str(body.get("message") or "Update files"),
        start_from=body.get("start_from"),
    )
    return {"sha": sha}


def _actions_token(local: LocalHub, body: dict[str, Any], params: dict[str, str]) -> Any:
    """A ``GITHUB_TOKEN``: the token's ``permissions``, or a workflow's ``workflow_permissions``."""
    token = local.actions_token(
        body["repo"],
        body.get("permissions"),
        workflow_permissions=body.get("workflow_permissions"),
    )
    return {"token": token}


def _fields(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in names}


ROUTES = [
    _route("GET", "/state", lambda local, body, p: local.state()),
    _route("GET", "/requests", lambda local, body, p: local.requests()),
    _route("GET", "/deliveries", lambda local, body, p: local.deliveries(p.get("event"))),
    _route(
        "POST",
        "/deliveries/{delivery_id}/redeliver",
        lambda local, body, p: local.redeliver(int(p["delivery_id"])),
        202,
    ),
    _route("POST", "/seed", _load_seed, 201),
    _route(
        "POST",
        "/users",
        lambda local, body, p: local.add_user(**_fields(body, "login", "token", "name", "email")),
        201,
    ),
    _route(
        "POST",
        "/repos",
        lambda local, body, p: local.load_seed({"repos": [body]}),
        201,
    ),
    _route("POST", "/apps", _add_app, 201),
    _route(
        "PATCH",
        "/apps/{app_id}",
        lambda local, body, p: local.set_app_webhook(
            int(p["app_id"]), body.get("webhook_url"), body.get("webhook_secret")
        ),
    ),
    _route(
        "POST",
        "/apps/{app_id}/installations",
        lambda local, body, p: local.add_installation(
            int(p["app_id"]), SeedInstallation.model_validate(body)
        ),
        201,
    ),
    _route(
        "POST",
        "/hooks",
        lambda local, body, p: {
            "id": local.add_hook(body["repo"], body["url"], body.get("secret"), body.get("events"))
        },
        201,
    ),
    _route("POST", "/tokens/actions", _actions_token, 201),
    _route(
        "POST",
        "/repos/{owner}/{repo}/issues",
        lambda local, body, p: local.open_issue(
            _repo(p),
            body["title"],
            body.get("body"),
            as_user=_user(body),
            labels=body.get("labels"),
        ),
        201,
    ),
    _route(
        "PATCH",
        "/repos/{owner}/{repo}/issues/{number}",
        lambda local, body, p: local.edit_issue(
            _repo(p),
            int(p["number"]),
            as_user=_user(body),
            **_fields(body, "title", "body", "state", "state_reason"),
        ),
    ),
    _route(
        "POST",
        "/repos/{owner}/{repo}/issues/{number}/labels",
        lambda local, body, p: local.label(
            _repo(p), int(p["number"]), body["labels"], as_user=_user(body)
        ),
    ),
    _route(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{number}/labels/{name}",
        lambda local, body, p: local.unlabel(
            _repo(p), int(p["number"]), p["name"], as_user=_user(body)
        ),
    ),
    _route(
        "POST",
        "/repos/{owner}/{repo}/issues/{number}/comments",
        lambda local, body, p: local.comment(
            _repo(p), int(p["number"]), body["body"], as_user=_user(body)
        ),
        201,
    ),
    _route(
        "POST",
        "/repos/{owner}/{repo}/pulls",
        lambda local, body, p: local.open_pull(
            _repo(p),
            body["head"],
            body.get("base"),
            title=body["title"],
            body=body.get("body"),
            as_user=_user(body),
        ),
        201,
    ),
    _route(
        "POST",
        "/repos/{owner}/{repo}/pulls/{number}/reviews",
        lambda local, body, p: local.review(
            _repo(p),
            int(p["number"]),
            as_user=_user(body),
            event=body.get("event", "COMMENT"),
            body=body.get("body", ""),
            comments=body.get("comments"),
        ),
    ),
    _route("POST", "/repos/{owner}/{repo}/push", _push, 201),
    _route(
        "GET",
        "/faults",
        lambda local, body, p: [
            {"id": i, **r.model_dump()} for i, r in local.hub.faults.rules().items()
        ],
    ),
    _route("POST", "/faults", lambda local, body, p: {"id": local.add_fault(body)}, 201),
    _route("DELETE", "/faults", lambda local, body, p: local.clear_faults()),
    _route(
        "POST",
        "/faults/seed",
        lambda local, body, p: local.hub.faults.reseed(
            int(body["value"] if "value" in body else body["seed"])
        ),
    ),
]
