"""Who may look at the dashboard: off, a shared secret, or GitHub sign-in through localhub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import httpx2
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.testclient import TestClient

from bot.localhub import RunningHub, start_localhub
from bot.localhub._oauth import oauth_client
from bot.settings import Settings
from bot.web.dashboard._access import build_access
from bot.web.dashboard._sessions import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGNIN_COOKIE,
    Sealer,
    SessionTooLarge,
    derive_key,
    safe_next,
)
from bot.web.dashboard._viewer import Access
from tests.localhub.test_oauth import oauth_seed

SECRET = "correct horse battery staple"
WEBHOOK_SECRET = "dashboard-test-webhook-secret"
EVIL_NEXT = [
    "//evil.example/runs",
    "https://evil.example/",
    "\\\\evil.example",
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "evil.example/runs",
    "",
]


@pytest.fixture(scope="module")
def hub(app_key_pem: Path) -> Iterator[RunningHub]:
    """localhub with an App installed on public and private repositories (see ``oauth_seed``)."""
    running = start_localhub(oauth_seed(app_key_pem))
    yield running
    running.stop()


def settings(tmp_path: Path, **values: Any) -> Settings:
    """Settings for the dashboard (nothing else of the App is started)."""
    return Settings(
        GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET, SPECBOT_DATA_DIR=tmp_path / "data", **values
    )


def github_settings(tmp_path: Path, hub: RunningHub, **values: Any) -> Settings:
    """GitHub sign-in through App 1's OAuth client on ``hub``."""
    client_id, client_secret = oauth_client(hub.hub, 1)
    fields: dict[str, Any] = {
        "SPECBOT_DASHBOARD_ACCESS": "github",
        "GITHUB_CLIENT_ID": client_id,
        "GITHUB_CLIENT_SECRET": client_secret,
        "GITHUB_WEB_URL": hub.url,
        "GITHUB_API_URL": hub.api_url,
        **values,
    }
    return settings(tmp_path, **fields)


def dashboard(access: Access) -> FastAPI:
    """The sign-in routes and one protected page telling who looks and what they may read."""
    app = FastAPI()
    app.include_router(access.router())

    @app.get("/runs")
    async def runs(request: Request) -> Response:
        viewer = await access.viewer(request)
        if viewer is None:
            return RedirectResponse(access.login_url(request), status_code=303)
        repos = None if viewer.repositories is None else sorted(viewer.repositories)
        return JSONResponse(
            {"login": viewer.login, "repositories": repos, "show_content": viewer.show_content}
        )

    return app


def start_sign_in(client: TestClient, next_path: str = "/runs") -> httpx2.Response:
    """``/login``: off to localhub's authorize page, with the sign-in cookie set."""
    started = client.get("/login", params={"next": next_path}, follow_redirects=False)
    assert started.status_code == 302, started.text
    return started


def approve(started: httpx2.Response, login: str) -> str:
    """localhub approves ``login``; the callback URL (with code and state) it redirects to."""
    approved = httpx.get(started.headers["location"] + "&" + urlencode({"login": login}))
    assert approved.status_code == 302, approved.text
    return approved.headers["location"]


def sign_in(client: TestClient, login: str, next_path: str = "/runs") -> httpx2.Response:
    """The whole round trip; the callback's answer."""
    callback = approve(start_sign_in(client, next_path), login)
    return client.get(callback, follow_redirects=False)


def looks(client: TestClient, cookie: str | None = None) -> dict[str, Any] | None:
    """What ``/runs`` tells the client (with only ``cookie`` as the session, if given)."""
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie is not None else {}
    response = client.get("/runs", headers=headers, follow_redirects=False)
    if response.status_code == 303:
        return None
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (first values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- GitHub sign-in ------------------------------------------------------------------------
def test_github_sign_in_round_trip(tmp_path: Path, hub: RunningHub) -> None:
    """alice signs in through localhub and reads the installation's repositories she can read:
    the public one and the private one she administers; not a private one she cannot read, a
    public one outside the installation, or one of another App's installation."""
    client = TestClient(dashboard(build_access(github_settings(tmp_path, hub))))
    assert looks(client) is None
    answer = sign_in(client, "alice")
    assert answer.status_code == 303 and answer.headers["location"] == "/runs"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here; https below
    assert looks(client) == {
        "login": "alice",
        "repositories": ["acme/secret", "acme/widgets"],
        "show_content": False,
    }


def test_a_reader_of_public_repositories_sees_only_them(tmp_path: Path, hub: RunningHub) -> None:
    """mallory reads no private repository of the installation: only acme/widgets."""
    client = TestClient(dashboard(build_access(github_settings(tmp_path, hub))))
    assert sign_in(client, "mallory").status_code == 303
    seen = looks(client)
    assert seen is not None and seen["repositories"] == ["acme/widgets"]


def test_sign_in_follows_every_page_of_the_listings(tmp_path: Path, hub: RunningHub) -> None:
    """With one item per page the same repositories are read, page after page."""
    access = build_access(github_settings(tmp_path, hub), page_size=1)
    client = TestClient(dashboard(access))
    assert sign_in(client, "alice").status_code == 303
    seen = looks(client)
    assert seen is not None and seen["repositories"] == ["acme/secret", "acme/widgets"]


def test_session_cookie_is_secure_over_https(tmp_path: Path, hub: RunningHub) -> None:
    """Reached over https, the sign-in and session cookies are ``Secure``."""
    app = dashboard(build_access(github_settings(tmp_path, hub)))
    client = TestClient(app, base_url="https://testserver")
    started = start_sign_in(client)
    assert "secure" in started.headers["set-cookie"].lower()
    assert query_of(started.headers["location"])["redirect_uri"] == (
        "https://testserver/auth/callback"
    )
    answer = client.get(approve(started, "alice"), follow_redirects=False)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "secure" in cookie.lower()


def test_a_state_that_is_not_ours_is_refused(tmp_path: Path, hub: RunningHub) -> None:
    """A callback whose state differs from the sign-in cookie's, or without that cookie (a
    victim sent to an attacker's callback URL), signs nobody in."""
    app = dashboard(build_access(github_settings(tmp_path, hub)))
    client = TestClient(app)
    callback = approve(start_sign_in(client), "alice")
    forged = callback.replace("state=", "state=x")
    refused = client.get(forged, follow_redirects=False)
    assert refused.status_code == 400 and "did not start here" in refused.text
    assert SESSION_COOKIE + "=" not in refused.headers.get("set-cookie", "")
    assert looks(client) is None
    victim = TestClient(app)  # never started a sign-in: no sign-in cookie
    attacker = TestClient(app)
    planted = approve(start_sign_in(attacker), "mallory")
    assert victim.get(planted, follow_redirects=False).status_code == 400
    assert looks(victim) is None


def test_a_used_code_is_refused(tmp_path: Path, hub: RunningHub) -> None:
    """A code already exchanged, replayed with a fresh sign-in's state, signs nobody in."""
    app = dashboard(build_access(github_settings(tmp_path, hub)))
    first = TestClient(app)
    used = approve(start_sign_in(first), "alice")
    assert first.get(used, follow_redirects=False).status_code == 303
    second = TestClient(app)
    state = query_of(start_sign_in(second).headers["location"])["state"]
    replay = "/auth/callback?" + urlencode({"code": query_of(used)["code"], "state": state})
    refused = second.get(replay, follow_redirects=False)
    assert refused.status_code == 400 and "bad_verification_code" in refused.text
    assert looks(second) is None


def test_a_wrong_client_secret_signs_nobody_in(tmp_path: Path, hub: RunningHub) -> None:
    """GitHub refuses the exchange; the page says why and no session is made."""
    wrong = github_settings(tmp_path, hub, GITHUB_CLIENT_SECRET="not-the-client-secret")
    client = TestClient(dashboard(build_access(wrong)))
    refused = sign_in(client, "alice")
    assert refused.status_code == 400 and "incorrect_client_credentials" in refused.text
    assert looks(client) is None


def test_a_declined_sign_in_and_an_unreachable_github(tmp_path: Path, hub: RunningHub) -> None:
    """GitHub's ``error=access_denied`` is refused; a GitHub that does not answer is a 502."""
    client = TestClient(dashboard(build_access(github_settings(tmp_path, hub))))
    state = query_of(start_sign_in(client).headers["location"])["state"]
    declined = "/auth/callback?" + urlencode({"error": "access_denied", "state": state})
    assert client.get(declined).status_code == 400
    down = github_settings(tmp_path, hub, GITHUB_WEB_URL="http://127.0.0.1:9")
    client = TestClient(dashboard(build_access(down)))
    state = query_of(start_sign_in(client).headers["location"])["state"]
    answer = client.get("/auth/callback?" + urlencode({"code": "abc", "state": state}))
    assert answer.status_code == 502 and looks(client) is None


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_never_leaves_the_site_after_github(
    tmp_path: Path, hub: RunningHub, evil: str
) -> None:
    """A ``next`` naming another site (or nothing) lands on the run list instead."""
    client = TestClient(dashboard(build_access(github_settings(tmp_path, hub))))
    assert sign_in(client, "alice", evil).headers["location"] == "/runs"


def test_next_keeps_a_local_page(tmp_path: Path, hub: RunningHub) -> None:
    """A page of this site, with its query, is where the person lands after signing in."""
    client = TestClient(dashboard(build_access(github_settings(tmp_path, hub))))
    answer = sign_in(client, "alice", "/runs/spec:1?flow=review")
    assert answer.headers["location"] == "/runs/spec:1?flow=review"
    assert client.get("/runs?state=failed", follow_redirects=False).status_code == 200
    redirected = TestClient(client.app).get("/runs?state=failed", follow_redirects=False)
    assert redirected.headers["location"] == "/login?" + urlencode({"next": "/runs?state=failed"})


def test_logout_ends_the_session(tmp_path: Path, hub: RunningHub) -> None:
    """After ``/logout`` the cookie is gone and the page offers to sign in again."""
    client = TestClient(dashboard(build_access(github_settings(tmp_path, hub))))
    sign_in(client, "alice")
    assert looks(client) is not None
    page = client.post("/logout")
    assert page.status_code == 200 and "signed out" in page.text
    assert looks(client) is None


def test_github_mode_accepts_the_bearer_secret_when_set(tmp_path: Path, hub: RunningHub) -> None:
    """With a dashboard secret as well, scrapers use it; a wrong one is refused."""
    both = github_settings(tmp_path, hub, SPECBOT_DASHBOARD_SECRET=SECRET)
    client = TestClient(dashboard(build_access(both)))
    ok = client.get("/runs", headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.json()["login"] == "operator" and ok.json()["repositories"] is None
    wrong = client.get(
        "/runs", headers={"Authorization": f"Bearer {SECRET}!"}, follow_redirects=False
    )
    assert wrong.status_code == 303


# -- the shared secret ---------------------------------------------------------------------
def secret_client(tmp_path: Path, **values: Any) -> TestClient:
    """A dashboard in secret mode."""
    fields = {"SPECBOT_DASHBOARD_ACCESS": "secret", "SPECBOT_DASHBOARD_SECRET": SECRET, **values}
    return TestClient(dashboard(build_access(settings(tmp_path, **fields))))


def test_secret_form_signs_the_operator_in(tmp_path: Path) -> None:
    """The form is served, a wrong secret is refused (401, no cookie), the right one signs in
    and goes to ``next``."""
    client = secret_client(tmp_path, SPECBOT_DASHBOARD_SHOW_CONTENT=True)
    form = client.get("/login", params={"next": "/runs/abc"})
    assert form.status_code == 200
    assert '<label for="secret">' in form.text and 'value="/runs/abc"' in form.text
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    wrong = client.post("/login", data={"secret": SECRET[:-1], "next": "/runs"})
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    assert looks(client) is None
    right = client.post(
        "/login", data={"secret": SECRET, "next": "/runs/abc"}, follow_redirects=False
    )
    assert right.status_code == 303 and right.headers["location"] == "/runs/abc"
    assert "httponly" in right.headers["set-cookie"].lower()
    assert looks(client) == {"login": "operator", "repositories": None, "show_content": True}


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_secret_form_next_never_leaves_the_site(tmp_path: Path, evil: str) -> None:
    """The form's ``next`` is checked like GitHub's: another site becomes the run list."""
    client = secret_client(tmp_path)
    right = client.post("/login", data={"secret": SECRET, "next": evil}, follow_redirects=False)
    assert right.headers["location"] == "/runs"
    assert safe_next(evil) == "/runs"


def test_secret_as_bearer(tmp_path: Path) -> None:
    """``Authorization: Bearer <secret>`` reads without a cookie; anything else does not."""
    client = secret_client(tmp_path)
    ok = client.get("/runs", headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.status_code == 200 and ok.json()["login"] == "operator"
    for header in (f"Bearer {SECRET}x", f"Basic {SECRET}", "Bearer ", SECRET):
        answer = client.get("/runs", headers={"Authorization": header}, follow_redirects=False)
        assert answer.status_code == 303, header


def test_secret_mode_logout(tmp_path: Path) -> None:
    """``/logout`` clears the session; the form is shown again."""
    client = secret_client(tmp_path)
    client.post("/login", data={"secret": SECRET, "next": "/runs"})
    assert looks(client) is not None
    page = client.get("/logout")
    assert 'type="password"' in page.text
    assert looks(client) is None


# -- cookies -------------------------------------------------------------------------------
def test_forged_cookies_are_refused(tmp_path: Path) -> None:
    """Only a cookie sealed with this server's key, for sessions, unexpired, opens."""
    client = secret_client(tmp_path)
    sealer = Sealer(derive_key(SECRET, "session/secret"))
    operator = {"login": "operator"}
    good = sealer.seal(operator, seconds=SESSION_SECONDS)
    assert looks(client, good) is not None  # the control: the same making, untouched, works
    prefix, payload, mac = good.split(".")
    flipped_mac = f"{prefix}.{payload}.{mac[:-2]}{'A' if mac[-2] != 'A' else 'B'}{mac[-1]}"
    flipped_payload = (
        f"{prefix}.{payload[:5]}{'A' if payload[5] != 'A' else 'B'}{payload[6:]}.{mac}"
    )
    expired = sealer.seal(operator, seconds=SESSION_SECONDS, now=time.time() - SESSION_SECONDS - 60)
    foreign = Sealer(derive_key("some other server's secret", "session/secret")).seal(
        operator, seconds=SESSION_SECONDS
    )
    other_purpose = Sealer(derive_key(SECRET, "signin/secret")).seal(
        operator, seconds=SESSION_SECONDS
    )
    for name, value in {
        "mac": flipped_mac,
        "payload": flipped_payload,
        "expired": expired,
        "foreign key": foreign,
        "other purpose": other_purpose,
        "not a cookie": "v1..",
        "garbage": "x" * 5000,
        "other login": sealer.seal({"login": "mallory"}, seconds=SESSION_SECONDS),
    }.items():
        assert looks(client, value) is None, name


def test_a_cookie_of_one_mode_does_not_open_the_other(tmp_path: Path, hub: RunningHub) -> None:
    """With the same dashboard secret, a secret-mode session is nothing in GitHub mode, and the
    sign-in cookie is no session."""
    secret_mode = secret_client(tmp_path)
    secret_mode.post("/login", data={"secret": SECRET, "next": "/runs"})
    cookie = secret_mode.cookies[SESSION_COOKIE]
    github = TestClient(
        dashboard(build_access(github_settings(tmp_path, hub, SPECBOT_DASHBOARD_SECRET=SECRET)))
    )
    assert looks(github, cookie) is None
    # even shaped like a GitHub session, a cookie sealed for the other mode opens nothing
    shaped = Sealer(derive_key(SECRET, "session/secret")).seal(
        {"login": "mallory", "repos": ["acme/vault"]}, seconds=SESSION_SECONDS
    )
    assert looks(github, shaped) is None
    signin = start_sign_in(github).headers["set-cookie"]
    assert signin.startswith(SIGNIN_COOKIE + "=")
    assert looks(github, signin.split(";")[0].split("=", 1)[1]) is None


def test_a_session_too_large_for_a_cookie_is_refused() -> None:
    """Thousands of repositories do not fit in a cookie: sealing says so."""
    sealer = Sealer(derive_key(SECRET, "session/secret"))
    names = [f"org-{i}/repository-{i * 7919 % 100003}" for i in range(3000)]
    with pytest.raises(SessionTooLarge):
        sealer.seal({"login": "alice", "repos": names}, seconds=SESSION_SECONDS)


# -- off, and what cannot be built -----------------------------------------------------------
def test_off_shows_nothing(tmp_path: Path) -> None:
    """Off: /login is a 404 saying so, and nobody is a viewer, whatever they send."""
    access = build_access(settings(tmp_path, SPECBOT_DASHBOARD_SECRET=SECRET))
    assert access.enabled is False
    client = TestClient(dashboard(access))
    answer = client.get("/login")
    assert answer.status_code == 404 and "the dashboard is off" in answer.text
    sealed = Sealer(derive_key(SECRET, "session/secret")).seal({"login": "operator"}, seconds=60)
    assert looks(client, sealed) is None
    bearer = client.get(
        "/runs", headers={"Authorization": f"Bearer {SECRET}"}, follow_redirects=False
    )
    assert bearer.status_code == 303


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"SPECBOT_DASHBOARD_ACCESS": "secret"}, "SPECBOT_DASHBOARD_SECRET"),
        (
            {"SPECBOT_DASHBOARD_ACCESS": "secret", "SPECBOT_DASHBOARD_SECRET": "x" * 15},
            "SPECBOT_DASHBOARD_SECRET",
        ),
        ({"SPECBOT_DASHBOARD_ACCESS": "github"}, "GITHUB_CLIENT_ID"),
        (
            {"SPECBOT_DASHBOARD_ACCESS": "github", "GITHUB_CLIENT_ID": "Iv1.0000000000000001"},
            "GITHUB_CLIENT_SECRET",
        ),
    ],
)
def test_access_that_cannot_be_safe_is_not_built(
    tmp_path: Path, values: dict[str, Any], named: str
) -> None:
    """A missing or short secret, or GitHub mode without its OAuth client: a clear error."""
    with pytest.raises(ValueError, match=named):
        build_access(settings(tmp_path, **values))
