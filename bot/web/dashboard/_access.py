"""Who may look at the dashboard (``SPECBOT_DASHBOARD_ACCESS``), and the sign-in routes.

- ``off``: nobody (``/login`` says so with a 404); one run's signed link still works elsewhere.
- ``secret``: whoever knows ``SPECBOT_DASHBOARD_SECRET``, through the ``/login`` form (a
  session cookie) or ``Authorization: Bearer <secret>`` (scrapes and scripts); sees every run.
- ``github``: people signed in with GitHub through the App's OAuth client (GitHub's web flow,
  ``state`` checked against a signed cookie); each sees the repositories the App is installed
  on that their account can read, as GitHub lists them for a user-to-server token at sign-in.
  The token is used at sign-in only and never kept. With a dashboard secret set as well, the
  Bearer secret still works for scrapes.

Sessions are signed cookies (``_sessions``) lasting 8 hours: the repository list is the one read
at sign-in, so access GitHub takes away ends at the latest when the session does.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.settings import Settings
from bot.web.dashboard._github_signin import GitHubClient, SignInError
from bot.web.dashboard._sessions import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGNIN_COOKIE,
    SIGNIN_SECONDS,
    Sealer,
    SessionTooLarge,
    clear_cookie,
    derive_key,
    is_https,
    safe_next,
    set_cookie,
)
from bot.web.dashboard._viewer import Access, Viewer

MIN_SECRET_CHARS = 16
OPERATOR = "operator"
OFF_TEXT = "the dashboard is off (set SPECBOT_DASHBOARD_ACCESS to secret or github)\n"
MAX_FORM_BYTES = 4096
_CALLBACK = "/auth/callback"
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def build_access(
    settings: Settings, *, http: httpx.AsyncClient | None = None, page_size: int = 100
) -> Access:
    """The access the settings configure; ``ValueError`` naming the setting that is missing.

    ``http`` is the client for GitHub (one per sign-in without it); ``page_size`` the
    ``per_page`` of the listings read at sign-in.
    """
    if settings.dashboard_access == "off":
        return OffAccess()
    secret = _dashboard_secret(settings)
    show = settings.dashboard_show_content
    if settings.dashboard_access == "secret":
        if secret is None:
            raise ValueError(
                "SPECBOT_DASHBOARD_ACCESS=secret needs SPECBOT_DASHBOARD_SECRET "
                f"(at least {MIN_SECRET_CHARS} characters)"
            )
        sealer = Sealer(derive_key(secret, "session/secret"))
        return SecretAccess(secret, sealer, show_content=show, public_url=settings.public_url)
    client = _github_client(settings, http, page_size)
    root = secret or _webhook_secret(settings)
    return GitHubAccess(
        client,
        Sealer(derive_key(root, f"session/github/{client.client_id}")),
        Sealer(derive_key(root, f"signin/github/{client.client_id}")),
        bearer_secret=secret,
        show_content=show,
        public_url=settings.public_url,
    )


def _dashboard_secret(settings: Settings) -> str | None:
    value = settings.dashboard_secret.get_secret_value() if settings.dashboard_secret else ""
    if not value:
        return None
    if len(value) < MIN_SECRET_CHARS:
        raise ValueError(
            f"SPECBOT_DASHBOARD_SECRET is shorter than {MIN_SECRET_CHARS} characters: "
            "choose a long random one (python -c 'import secrets; print(secrets.token_urlsafe())')"
        )
    return value


def _webhook_secret(settings: Settings) -> str:
    value = settings.github_webhook_secret
    if value is None or not value.get_secret_value():
        raise ValueError(
            "SPECBOT_DASHBOARD_ACCESS=github signs sessions with GITHUB_WEBHOOK_SECRET "
            "(or SPECBOT_DASHBOARD_SECRET): set one"
        )
    return value.get_secret_value()


def _github_client(
    settings: Settings, http: httpx.AsyncClient | None, page_size: int
) -> GitHubClient:
    client_secret = settings.github_client_secret
    if not settings.github_client_id or not client_secret or not client_secret.get_secret_value():
        raise ValueError(
            "SPECBOT_DASHBOARD_ACCESS=github needs the App's OAuth client: set GITHUB_CLIENT_ID "
            "and GITHUB_CLIENT_SECRET (the App's settings page, 'Client secrets')"
        )
    return GitHubClient(
        client_id=settings.github_client_id,
        client_secret=client_secret.get_secret_value(),
        web_url=settings.github_web_url.rstrip("/"),
        api_url=settings.github_api_url.rstrip("/"),
        page_size=page_size,
        http=http,
    )


@functools.cache
def _templates() -> jinja2.Environment:
    folder = Path(__file__).with_name("templates")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True)


def login_page(status: int = 200, **context: Any) -> HTMLResponse:
    """``login.html`` (mode, next, error, notice) with headers that forbid framing and caching."""
    html = _templates().get_template("login.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _digest(value: str) -> bytes:
    # compared as digests: equal lengths, so the comparison time says nothing about the secret
    return hashlib.sha256(value.encode()).digest()


class OffAccess:
    """Nobody may look: every page is off."""

    enabled = False

    async def viewer(self, request: Request) -> Viewer | None:
        """Nobody."""
        return None

    def login_url(self, request: Request) -> str:
        """``/login``, which says the dashboard is off."""
        return "/login"

    def router(self) -> APIRouter:
        """``/login``, ``/logout`` and the callback, each a 404 saying the dashboard is off."""
        router = APIRouter()

        @router.api_route("/login", methods=["GET", "POST"])
        @router.api_route("/logout", methods=["GET", "POST"])
        @router.get(_CALLBACK)
        async def off() -> Response:
            return PlainTextResponse(OFF_TEXT, status_code=404, headers=_HEADERS)

        return router


class _SessionAccess:
    """What both sign-in modes share: the session cookie, the Bearer secret, ``/logout``."""

    enabled = True
    mode = ""

    def __init__(
        self,
        sealer: Sealer,
        *,
        bearer_secret: str | None,
        show_content: bool,
        public_url: str | None,
    ) -> None:
        self._sealer = sealer
        self._bearer = _digest(bearer_secret) if bearer_secret else None
        self._show = show_content
        self._public_url = public_url

    async def viewer(self, request: Request) -> Viewer | None:
        """The Bearer secret's operator, or the person of a genuine, unexpired session."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if self._bearer is not None and scheme.lower() == "bearer":
            if hmac.compare_digest(_digest(value.strip()), self._bearer):
                return Viewer(OPERATOR, None, self._show)
            return None
        data = self._sealer.open(request.cookies.get(SESSION_COOKIE))
        return None if data is None else self._session_viewer(data)

    def _session_viewer(self, data: dict[str, Any]) -> Viewer | None:
        raise NotImplementedError

    def login_url(self, request: Request) -> str:
        """``/login`` with this page as ``next``."""
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return "/login?" + urlencode({"next": here})

    def _secure(self, request: Request) -> bool:
        return is_https(request, self._public_url)

    def _signed_in(self, request: Request, data: dict[str, Any], target: str) -> Response:
        """Redirect to ``target`` with a new session (after POST: 303, the browser GETs)."""
        value = self._sealer.seal(data, seconds=SESSION_SECONDS)
        response = RedirectResponse(target, status_code=303, headers=_HEADERS)
        secure = self._secure(request)
        set_cookie(response, SESSION_COOKIE, value, seconds=SESSION_SECONDS, secure=secure)
        return response

    def _add_logout(self, router: APIRouter) -> None:
        @router.api_route("/logout", methods=["GET", "POST"])
        async def logout(request: Request) -> Response:
            # a page, not a redirect to /login: GitHub would sign the person straight back in
            response = login_page(mode=self.mode, next="/runs", notice="You are signed out.")
            clear_cookie(response, SESSION_COOKIE, secure=self._secure(request))
            return response


class SecretAccess(_SessionAccess):
    """Whoever knows the shared secret sees every run."""

    mode = "secret"

    def __init__(
        self, secret: str, sealer: Sealer, *, show_content: bool, public_url: str | None
    ) -> None:
        super().__init__(
            sealer, bearer_secret=secret, show_content=show_content, public_url=public_url
        )
        self._secret = _digest(secret)

    def _session_viewer(self, data: dict[str, Any]) -> Viewer | None:
        return Viewer(OPERATOR, None, self._show) if data.get("login") == OPERATOR else None

    def router(self) -> APIRouter:
        """``GET /login`` (the form), ``POST /login`` (checks the secret), ``/logout``."""
        router = APIRouter()

        @router.get("/login")
        async def form(request: Request) -> Response:
            return login_page(mode=self.mode, next=safe_next(request.query_params.get("next")))

        @router.post("/login")
        async def check(request: Request) -> Response:
            raw = await request.body()
            fields = parse_qs(raw[:MAX_FORM_BYTES].decode("utf-8", errors="replace"))
            target = safe_next(fields.get("next", [""])[0])
            given = fields.get("secret", [""])[0]
            if not hmac.compare_digest(_digest(given), self._secret):
                return login_page(401, mode=self.mode, next=target, error="That is not the secret.")
            return self._signed_in(request, {"login": OPERATOR}, target)

        self._add_logout(router)
        return router


class GitHubAccess(_SessionAccess):
    """People signed in with GitHub see the repositories their account reads through the App."""

    mode = "github"

    def __init__(
        self,
        client: GitHubClient,
        sealer: Sealer,
        signin_sealer: Sealer,
        *,
        bearer_secret: str | None,
        show_content: bool,
        public_url: str | None,
    ) -> None:
        super().__init__(
            sealer, bearer_secret=bearer_secret, show_content=show_content, public_url=public_url
        )
        self._client = client
        self._signin = signin_sealer

    def _session_viewer(self, data: dict[str, Any]) -> Viewer | None:
        login, repos = data.get("login"), data.get("repos")
        if not isinstance(login, str) or not isinstance(repos, list):
            return None
        names = frozenset(r.lower() for r in repos if isinstance(r, str))
        return Viewer(login, names, self._show)

    def _callback_url(self, request: Request) -> str:
        base = self._public_url or str(request.base_url)
        return base.rstrip("/") + _CALLBACK

    def router(self) -> APIRouter:
        """``/login`` (off to GitHub), ``/auth/callback`` (back from it), ``/logout``."""
        router = APIRouter()

        @router.get("/login")
        async def login(request: Request) -> Response:
            state = secrets.token_urlsafe(32)
            target = safe_next(request.query_params.get("next"))
            cookie = self._signin.seal({"state": state, "next": target}, seconds=SIGNIN_SECONDS)
            url = self._client.authorize_url(self._callback_url(request), state)
            response = RedirectResponse(url, status_code=302, headers=_HEADERS)
            secure = self._secure(request)
            set_cookie(response, SIGNIN_COOKIE, cookie, seconds=SIGNIN_SECONDS, secure=secure)
            return response

        @router.get(_CALLBACK)
        async def callback(request: Request) -> Response:
            response = await self._finish(request)
            clear_cookie(response, SIGNIN_COOKIE, secure=self._secure(request))
            return response

        self._add_logout(router)
        return router

    def _refused(self, status: int, error: str) -> Response:
        return login_page(status, mode=self.mode, next="/runs", error=error)

    async def _finish(self, request: Request) -> Response:
        """Check ``state``, exchange the code, read who it is and what they read: the session."""
        query = request.query_params
        started = self._signin.open(request.cookies.get(SIGNIN_COOKIE)) or {}
        expected = started.get("state")
        given = query.get("state", "")
        if not isinstance(expected, str) or not hmac.compare_digest(
            _digest(given), _digest(expected)
        ):
            return self._refused(
                400,
                "This sign-in did not start here, or took longer than 10 minutes: sign in again.",
            )
        if query.get("error") or not query.get("code"):
            return self._refused(400, "GitHub did not sign you in (the request was declined).")
        try:
            async with self._http() as http:
                login, repos = await self._client.read_viewer(
                    http, query["code"], self._callback_url(request)
                )
        except SignInError as exc:
            return self._refused(400, str(exc))
        except httpx.HTTPError:
            return self._refused(502, "GitHub could not be reached: try again in a moment.")
        try:
            target = safe_next(started.get("next"))
            return self._signed_in(request, {"login": login, "repos": repos}, target)
        except SessionTooLarge:
            return self._refused(
                400,
                f"Your account reads {len(repos)} repositories through the App, more than a "
                "session holds: ask the operator for the dashboard secret.",
            )

    @asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._client.http is not None:
            yield self._client.http
            return
        async with httpx.AsyncClient(timeout=10.0) as fresh:
            yield fresh
