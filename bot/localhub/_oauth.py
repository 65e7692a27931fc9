"""GitHub's OAuth web flow for an App's users ("Sign in with GitHub") and what their token reads.

``GET /login/oauth/authorize?client_id&redirect_uri&state`` shows a page to choose who signs in
(localhub has no sign-in of its own); with ``login=<user>`` it approves at once and redirects to
``redirect_uri`` with ``code`` and ``state``, as GitHub does after "Authorize".
``POST /login/oauth/access_token`` exchanges the code (once, within 10 minutes, with the App's
client secret) for a user-to-server token ``ghu_...`` acting as that user for 8 hours; its
errors are GitHub's (200 with ``error``). With the token, ``GET /user/installations`` and
``GET /user/installations/{id}/repositories`` list the App's installations and the repositories
in them the user can read (public ones, private ones they own or collaborate on).

Simplified: the token acts as its user on every endpoint, where GitHub also narrows it to the
App's permissions and installations; ``redirect_uri`` may be any http(s) URL (no registered
callback URLs), but the exchange must name the same one as the authorization.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.localhub._auth import user_role
from bot.localhub._errors import ApiError, not_found, requires_auth
from bot.localhub._html import esc, page
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._hub import Hub
from bot.localhub._manifests import redirect_to
from bot.localhub._model import App, Installation, OAuthCode, Repo, Token, role_rank
from bot.localhub._render import client_id, installation, repository

CODE_TTL_SECONDS = 600
USER_TOKEN_SECONDS = 8 * 3600
MAX_FORM_BYTES = 64 * 1024
_TROUBLESHOOTING = "https://docs.github.com/apps/managing-oauth-apps/"
_ERRORS = {
    "incorrect_client_credentials": (
        "The client_id and/or client_secret passed are incorrect.",
        "troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials",
    ),
    "bad_verification_code": (
        "The code passed is incorrect or expired.",
        "troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
    ),
    "redirect_uri_mismatch": (
        "The redirect_uri MUST match the registered callback URL for this application.",
        "troubleshooting-authorization-request-errors/#redirect-uri-mismatch2",
    ),
}
_ROLE_PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")


def oauth_client(hub: Hub, app_id: int) -> tuple[str, str]:
    """The OAuth client id and secret of App ``app_id`` (GITHUB_CLIENT_ID/SECRET)."""
    with hub.lock:
        return client_id(app_id), hub.state.apps[app_id].client_secret


def app_for_client(hub: Hub, client: str) -> App | None:
    """The App whose OAuth client id is ``client``, or None."""
    for app in hub.state.apps.values():
        if secrets.compare_digest(client_id(app.id).encode(), client.encode()):
            return app
    return None


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def issue_code(hub: Hub, app: App, login: str, redirect_uri: str) -> OAuthCode:
    """A one-time code for ``login`` signing in to ``app`` (expired codes are dropped)."""
    now = time.time()
    with hub.lock:
        codes = hub.state.oauth_codes
        for stale in [key for key, code in codes.items() if code.expires_at <= now]:
            del codes[stale]
        code = OAuthCode(
            code=secrets.token_hex(10),
            app_id=app.id,
            login=login,
            redirect_uri=redirect_uri,
            expires_at=now + CODE_TTL_SECONDS,
        )
        codes[code.code] = code
    return code


def _chooser(hub: Hub, app: App, request: Request, redirect_uri: str) -> Response:
    """The "who signs in" page: one button per user, a GET form back to this address."""
    people = sorted((u.login for u in hub.state.users.values() if u.type == "User"), key=str.lower)
    hidden = "".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'
        for name, value in request.query_params.items()
        if name in ("client_id", "redirect_uri", "state")
    )
    buttons = "".join(
        f'<p><button type="submit" name="login" value="{esc(login)}">Sign in as {esc(login)}'
        "</button></p>"
        for login in people
    )
    target = urlsplit(redirect_uri)
    body = (
        f"<h1>Authorize {esc(app.name)}</h1>"
        f'<p class="muted">{esc(app.name)} by {esc(app.owner)} wants to know who you are and '
        f"which repositories you can read. You will be sent back to "
        f"<code>{esc(target.scheme)}://{esc(target.netloc)}</code>.</p>"
        f'<form method="get" action="/login/oauth/authorize">{hidden}{buttons}</form>'
    )
    response = page(f"Authorize {app.name}", body)
    # the form submits here, and the approval redirects to the App's callback: allow both
    origin = f"{target.scheme}://{target.netloc}"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"form-action 'self' {origin}; base-uri 'none'; frame-ancestors 'none'"
    )
    return response


async def _authorize(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    query = request.query_params
    redirect_uri = query.get("redirect_uri", "")
    with hub.lock:
        app = app_for_client(hub, query.get("client_id", ""))
        if app is None:
            return page("Not found", "<h1>404</h1><p>No App has this client_id.</p>", 404)
        if not _is_web_url(redirect_uri):
            message = _ERRORS["redirect_uri_mismatch"][0]
            return page("Sign-in refused", f"<h1>Sign-in refused</h1><p>{esc(message)}</p>", 400)
        login = query.get("login")
        if login is None:
            return _chooser(hub, app, request, redirect_uri)
        account = hub.state.users.get(login.lower())
        if account is None or account.type != "User":
            return page("Not found", "<h1>404</h1><p>No such user.</p>", 404)
        code = issue_code(hub, app, account.login, redirect_uri)
    await run_in_threadpool(hub.persist)
    return RedirectResponse(redirect_to(redirect_uri, code.code, query.get("state")), 302)


def _oauth_error(name: str) -> dict[str, str]:
    description, anchor = _ERRORS[name]
    return {"error": name, "error_description": description, "error_uri": _TROUBLESHOOTING + anchor}


def exchange_code(hub: Hub, fields: dict[str, str]) -> dict[str, str]:
    """GitHub's answer to ``POST /login/oauth/access_token``: a token, or an ``error``."""
    app = app_for_client(hub, fields.get("client_id", ""))
    given = fields.get("client_secret", "").encode()
    if app is None or not secrets.compare_digest(app.client_secret.encode(), given):
        return _oauth_error("incorrect_client_credentials")
    with hub.lock:
        found = hub.state.oauth_codes.pop(fields.get("code", ""), None)  # single use
        if found is None or found.app_id != app.id or found.expires_at <= time.time():
            return _oauth_error("bad_verification_code")
        if fields.get("redirect_uri") and fields["redirect_uri"] != found.redirect_uri:
            return _oauth_error("redirect_uri_mismatch")
        token = Token(
            token="ghu_" + secrets.token_urlsafe(27)[:36],
            kind="user",
            login=found.login,
            app_id=app.id,
            expires_at=time.time() + USER_TOKEN_SECONDS,
            permissions={},
            repositories=[],
        )
        hub.state.tokens[token.token] = token
    return {"access_token": token.token, "token_type": "bearer", "scope": ""}


def _fields(request: Request, raw: bytes) -> dict[str, str]:
    """The parameters: the query string, then a form or JSON body (GitHub reads all three)."""
    fields = dict(request.query_params)
    text = raw.decode("utf-8", errors="replace")
    if "json" in request.headers.get("content-type", ""):
        try:
            body = json.loads(text) if text.strip() else {}
        except ValueError:
            body = {}
        if isinstance(body, dict):
            fields.update({str(k): str(v) for k, v in body.items() if v is not None})
    else:
        fields.update(parse_qsl(text))
    return fields


async def _access_token(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return Response("Request body too large", 413)
    answer = await run_in_threadpool(exchange_code, hub, _fields(request, raw))
    if "access_token" in answer:
        await run_in_threadpool(hub.persist)
    headers = {"Cache-Control": "no-store"}
    if "json" in request.headers.get("accept", ""):
        return Response(json.dumps(answer), 200, headers, media_type="application/json")
    # without Accept: application/json GitHub answers form-encoded
    return Response(urlencode(answer), 200, headers, media_type="application/x-www-form-urlencoded")


def _user_token(call: Call) -> Token:
    """The user-to-server token of the call (403 for any other kind of credentials)."""
    if call.who.kind == "anonymous":
        raise requires_auth()
    _, _, value = call.headers.get("authorization", "").strip().partition(" ")
    token = call.hub.state.tokens.get(value.strip())
    if call.who.kind != "user" or token is None or token.kind != "user":
        raise ApiError(
            403,
            "You must authenticate with an access token authorized to a GitHub App in order "
            "to list installations",
        )
    return token


def _readable(hub: Hub, login: str, inst: Installation) -> list[Repo]:
    """The installation's repositories ``login`` can read: public ones, and private ones they
    own or collaborate on."""
    found = [hub.find_repo(name) for name in inst.repositories]
    return [
        repo
        for repo in found
        if repo is not None and (not repo.private or user_role(hub, login, repo) is not None)
    ]


def _visible(hub: Hub, token: Token, inst: Installation) -> bool:
    assert token.login is not None
    if inst.app_id != token.app_id:
        return False
    return inst.account.lower() == token.login.lower() or bool(_readable(hub, token.login, inst))


def _page(call: Call, items: list[Any], path: str) -> tuple[list[Any], dict[str, str]]:
    """One page (``per_page`` up to 100, ``page``) and GitHub's ``Link`` header."""
    try:
        per_page = min(max(int(call.query.get("per_page", "30")), 1), 100)
        number = max(int(call.query.get("page", "1")), 1)
    except ValueError:
        per_page, number = 30, 1
    last = max((len(items) + per_page - 1) // per_page, 1)

    def link(target: int, rel: str) -> str:
        query = urlencode({"per_page": per_page, "page": target})
        return f'<{call.hub.api_url}{path}?{query}>; rel="{rel}"'

    links = [link(number - 1, "prev"), link(1, "first")] if number > 1 else []
    links += [link(number + 1, "next"), link(last, "last")] if number < last else []
    chunk = items[(number - 1) * per_page : number * per_page]
    return chunk, ({"Link": ", ".join(links)} if links else {})


def list_user_installations(call: Call) -> Reply:
    """``GET /user/installations`` (a user-to-server token: its App's installations)."""
    token = _user_token(call)
    found = sorted(
        (i for i in call.hub.state.installations.values() if _visible(call.hub, token, i)),
        key=lambda i: i.id,
    )
    chunk, link = _page(call, found, "/user/installations")
    body = {"total_count": len(found), "installations": [installation(call.hub, i) for i in chunk]}
    return Reply(body, headers=link)


def list_user_installation_repositories(call: Call) -> Reply:
    """``GET /user/installations/{installation_id}/repositories``: those the user can read."""
    token = _user_token(call)
    assert token.login is not None
    inst = call.hub.state.installations.get(call.number("installation_id"))
    if inst is None or not _visible(call.hub, token, inst):
        raise not_found()
    repos = sorted(_readable(call.hub, token.login, inst), key=lambda r: r.id)
    chunk, link = _page(call, repos, f"/user/installations/{inst.id}/repositories")
    rendered = []
    for repo in chunk:
        rank = role_rank(user_role(call.hub, token.login, repo)) or (0 if repo.private else 1)
        permissions = {name: rank > i for i, name in enumerate(_ROLE_PERMISSIONS)}
        rendered.append(repository(call.hub, repo, full=False, permissions=permissions))
    body = {"total_count": len(repos), "repository_selection": "selected", "repositories": rendered}
    return Reply(body, headers=link)


ROUTES = [
    Route("/login/oauth/authorize", _authorize, methods=["GET"]),
    Route("/login/oauth/access_token", _access_token, methods=["POST"]),
]
ENDPOINTS = [
    Endpoint("GET", "/user/installations", list_user_installations),
    Endpoint(
        "GET",
        "/user/installations/{installation_id}/repositories",
        list_user_installation_repositories,
    ),
]
