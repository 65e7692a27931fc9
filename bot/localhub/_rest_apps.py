"""REST: the App, installations and their tokens, users, the rate limit."""

from __future__ import annotations

from bot.localhub._auth import issue_installation_token
from bot.localhub._errors import ApiError, not_found, requires_auth
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._model import App
from bot.localhub._render import app as render_app
from bot.localhub._render import installation, public_user, repository


def _app(call: Call) -> App:
    if call.who.kind != "app" or call.who.app_id is None:
        raise ApiError(
            401,
            "A JSON web token could not be decoded",
            documentation_url="https://docs.github.com/rest",
        )
    return call.hub.state.apps[call.who.app_id]


def get_app(call: Call) -> Reply:
    """``GET /app`` (with the App's JWT)."""
    return Reply(render_app(call.hub, _app(call)), etag=True)


def list_installations(call: Call) -> Reply:
    """``GET /app/installations``."""
    app = _app(call)
    found = [i for i in call.hub.state.installations.values() if i.app_id == app.id]
    return Reply([installation(call.hub, i) for i in found], paginate=True)


def get_installation(call: Call) -> Reply:
    """``GET /app/installations/{installation_id}``."""
    app = _app(call)
    found = call.hub.state.installations.get(call.number("installation_id"))
    if found is None or found.app_id != app.id:
        raise not_found()
    return Reply(installation(call.hub, found))


def create_token(call: Call) -> Reply:
    """``POST /app/installations/{installation_id}/access_tokens``."""
    app = _app(call)
    token, expires = issue_installation_token(
        call.hub, app, call.number("installation_id"), call.fields()
    )
    repos = [call.hub.repo(name) for name in token.repositories if call.hub.find_repo(name)]
    return Reply(
        {
            "token": token.token,
            "expires_at": expires,
            "permissions": token.permissions,
            "repository_selection": "selected",
            "repositories": [repository(call.hub, r, full=False) for r in repos],
        },
        status=201,
    )


def repo_installation(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/installation``."""
    app = _app(call)
    repo = call.hub.repo(f"{call.params['owner']}/{call.params['repo']}")
    for item in call.hub.state.installations.values():
        if item.app_id == app.id and repo.full_name in item.repositories:
            return Reply(installation(call.hub, item))
    raise not_found()


def installation_repositories(call: Call) -> Reply:
    """``GET /installation/repositories`` (with an installation token)."""
    if not call.who.is_app_scoped:
        raise ApiError(403, "This endpoint can only be accessed with an installation token.")
    repos = [call.hub.repo(n) for n in call.who.repositories if call.hub.find_repo(n)]
    return Reply(
        {
            "total_count": len(repos),
            "repository_selection": "selected",
            "repositories": [repository(call.hub, r, full=False) for r in repos],
        }
    )


def get_authenticated_user(call: Call) -> Reply:
    """``GET /user``."""
    if call.who.kind == "anonymous":
        raise requires_auth()
    if call.who.kind != "user" or call.who.login is None:
        raise ApiError(403, "Resource not accessible by integration")
    account = call.hub.user(call.who.login)
    return Reply(public_user(call.hub, account, private=True), etag=True)


def get_user(call: Call) -> Reply:
    """``GET /users/{username}``."""
    account = call.hub.user(call.params["username"])
    return Reply(public_user(call.hub, account), etag=True)


def rate_limit(call: Call) -> Reply:
    """``GET /rate_limit`` (does not count against the limit, as on GitHub)."""
    resources = {}
    for name in ("core", "search", "graphql", "integration_manifest", "code_search"):
        window = call.hub.rates.peek(call.who.bucket, call.who.kind, name)
        resources[name] = {
            "limit": window.limit,
            "remaining": window.remaining,
            "reset": window.reset,
            "used": window.used,
        }
    return Reply({"resources": resources, "rate": resources["core"]})


ENDPOINTS = [
    Endpoint("GET", "/app", get_app),
    Endpoint("GET", "/app/installations", list_installations),
    Endpoint("GET", "/app/installations/{installation_id}", get_installation),
    Endpoint("POST", "/app/installations/{installation_id}/access_tokens", create_token),
    Endpoint("GET", "/repos/{owner}/{repo}/installation", repo_installation),
    Endpoint("GET", "/installation/repositories", installation_repositories),
    Endpoint("GET", "/user", get_authenticated_user),
    Endpoint("GET", "/users/{username}", get_user),
    Endpoint("GET", "/rate_limit", rate_limit, counted=False),
]
