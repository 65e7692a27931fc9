"""GitHub's OAuth web flow for an App's users, and what a user-to-server token lists."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from bot.localhub import RunningHub, start_localhub
from bot.localhub._oauth import oauth_client
from tests.localhub.clients import installation_token
from tests.localhub.manifests import new_app_code
from tests.localhub.openapi import errors_of, response_schema

CALLBACK = "http://127.0.0.1:9/auth/callback"
CLIENT_SECRET = "oauth-client-secret-of-specbot"
OTHER_SECRET = "oauth-client-secret-of-another"
# GitHub's 200 responses (api.github.com.json of @octokit/openapi 23.0.2, MIT):
# apps/list-installations-for-authenticated-user and
# apps/list-installation-repos-for-authenticated-user; components from tests/data/github.
USER_INSTALLATIONS_200: dict[str, Any] = {
    "type": "object",
    "required": ["total_count", "installations"],
    "properties": {
        "total_count": {"type": "integer"},
        "installations": {"type": "array", "items": {"$ref": "#/components/schemas/installation"}},
    },
}
USER_INSTALLATION_REPOSITORIES_200: dict[str, Any] = {
    "type": "object",
    "required": ["total_count", "repositories"],
    "properties": {
        "total_count": {"type": "integer"},
        "repository_selection": {"type": "string"},
        "repositories": {
            "type": "array",
            "items": {
                "allOf": [
                    {"$ref": "#/components/schemas/repository"},
                    {
                        "type": "object",
                        "properties": {
                            "custom_properties": {"type": "object", "additionalProperties": True}
                        },
                    },
                ]
            },
        },
    },
}


def oauth_seed(key: Path) -> dict[str, Any]:
    """People, an App installed on public and private repositories, and another App.

    alice collaborates on acme/secret; nobody but owen reads acme/vault; acme/outside is public
    but not in the installation; acme/elsewhere is alice's, in the other App's installation.
    """
    return {
        "users": [
            {"login": "alice", "token": "ghp_alice"},
            {"login": "mallory", "token": "ghp_mallory"},
            {"login": "owen", "token": "ghp_owen"},
        ],
        "orgs": ["acme"],
        "repos": [
            {"full_name": "acme/widgets"},
            {"full_name": "acme/secret", "private": True, "collaborators": {"alice": "admin"}},
            {"full_name": "acme/vault", "private": True, "collaborators": {"owen": "admin"}},
            {"full_name": "acme/outside"},
            {"full_name": "acme/elsewhere", "private": True, "collaborators": {"alice": "write"}},
        ],
        "apps": [
            {
                "id": 1,
                "slug": "specbot",
                "private_key_path": str(key),
                "client_secret": CLIENT_SECRET,
                "installations": [
                    {
                        "id": 100,
                        "account": "acme",
                        "repositories": ["acme/widgets", "acme/secret", "acme/vault"],
                    }
                ],
            },
            {
                "id": 2,
                "slug": "other",
                "private_key_path": str(key),
                "client_secret": OTHER_SECRET,
                "installations": [
                    {"id": 200, "account": "acme", "repositories": ["acme/elsewhere"]}
                ],
            },
        ],
    }


@pytest.fixture(scope="module")
def oauth_hub(app_key_pem: Path) -> Iterator[RunningHub]:
    """A localhub with the OAuth seed (tests only add codes and tokens)."""
    running = start_localhub(oauth_seed(app_key_pem))
    yield running
    running.stop()


def authorize(hub: RunningHub, login: str, *, state: str = "st4te", **extra: str) -> httpx.Response:
    """Approve the sign-in of ``login`` at once (the ``login`` shortcut of localhub)."""
    query = {"client_id": oauth_client(hub.hub, 1)[0], "redirect_uri": CALLBACK, "state": state}
    query.update(extra, login=login)
    return httpx.get(f"{hub.url}/login/oauth/authorize?{urlencode(query)}")


def code_for(hub: RunningHub, login: str) -> str:
    """A fresh code for ``login``."""
    response = authorize(hub, login)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def exchange(hub: RunningHub, code: str, **fields: str) -> dict[str, Any]:
    """``POST /login/oauth/access_token`` as a web app sends it (form, Accept JSON)."""
    client_id, secret = oauth_client(hub.hub, 1)
    body = {"client_id": client_id, "client_secret": secret, "code": code, **fields}
    response = httpx.post(
        f"{hub.url}/login/oauth/access_token", data=body, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def user_token(hub: RunningHub, login: str) -> str:
    """A user-to-server token of ``login`` for App 1."""
    token: str = exchange(hub, code_for(hub, login))["access_token"]
    return token


def api(hub: RunningHub, path: str, token: str | None) -> httpx.Response:
    """A REST call with ``token``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(hub.api_url + path, headers=headers)


def test_authorize_page_offers_the_people_and_allows_the_callback(oauth_hub: RunningHub) -> None:
    """Without ``login`` the page lists users (no organisations or bots) in a form to itself."""
    client_id = oauth_client(oauth_hub.hub, 1)[0]
    query = urlencode({"client_id": client_id, "redirect_uri": CALLBACK, "state": "abc"})
    response = httpx.get(f"{oauth_hub.url}/login/oauth/authorize?{query}")
    assert response.status_code == 200
    assert "Sign in as alice" in response.text and "Sign in as mallory" in response.text
    assert "Sign in as acme" not in response.text and "specbot[bot]" not in response.text
    assert 'name="state" value="abc"' in response.text
    assert "form-action 'self' http://127.0.0.1:9;" in response.headers["content-security-policy"]


def test_approval_redirects_to_the_callback_with_code_and_state(oauth_hub: RunningHub) -> None:
    """The callback gets ``code`` and the untouched ``state``, its own query kept."""
    client_id = oauth_client(oauth_hub.hub, 1)[0]
    query = {
        "client_id": client_id,
        "redirect_uri": CALLBACK + "?keep=1",
        "state": "s t&ate",
        "login": "alice",
    }
    response = httpx.get(f"{oauth_hub.url}/login/oauth/authorize?{urlencode(query)}")
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == CALLBACK
    sent = parse_qs(target.query)
    assert sent["keep"] == ["1"] and sent["state"] == ["s t&ate"] and len(sent["code"][0]) >= 20


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"client_id": "Iv1.00000000000000ff"}, 404),
        ({"redirect_uri": "javascript:alert(1)"}, 400),
        ({"redirect_uri": "//evil.example/cb"}, 400),
        ({"login": "acme"}, 404),
        ({"login": "nobody"}, 404),
    ],
)
def test_authorize_refuses_unknown_clients_callbacks_and_people(
    oauth_hub: RunningHub, change: dict[str, str], status: int
) -> None:
    """An unknown client, a callback that is no web address, or no such person: no code."""
    query = {"client_id": oauth_client(oauth_hub.hub, 1)[0], "redirect_uri": CALLBACK}
    query.update({"login": "alice", **change})
    response = httpx.get(f"{oauth_hub.url}/login/oauth/authorize?{urlencode(query)}")
    assert response.status_code == status
    assert "location" not in response.headers


def test_code_exchange_answers_as_github_does(oauth_hub: RunningHub) -> None:
    """JSON with Accept: application/json, form-encoded without; a JSON body is read too."""
    answer = exchange(oauth_hub, code_for(oauth_hub, "alice"))
    assert set(answer) == {"access_token", "token_type", "scope"}
    assert answer["access_token"].startswith("ghu_") and answer["token_type"] == "bearer"
    client_id, secret = oauth_client(oauth_hub.hub, 1)
    fields = {"client_id": client_id, "client_secret": secret}
    plain = httpx.post(
        f"{oauth_hub.url}/login/oauth/access_token",
        data={**fields, "code": code_for(oauth_hub, "alice")},
    )
    assert plain.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(plain.text)["token_type"] == ["bearer"]
    as_json = httpx.post(
        f"{oauth_hub.url}/login/oauth/access_token",
        json={**fields, "code": code_for(oauth_hub, "alice")},
        headers={"Accept": "application/json"},
    )
    assert as_json.json()["access_token"].startswith("ghu_")


def test_a_code_is_single_use(oauth_hub: RunningHub) -> None:
    """The second exchange of a code is GitHub's ``bad_verification_code`` (status 200)."""
    code = code_for(oauth_hub, "alice")
    assert "access_token" in exchange(oauth_hub, code)
    again = exchange(oauth_hub, code)
    assert again["error"] == "bad_verification_code"
    assert again["error_description"] == "The code passed is incorrect or expired."


def test_a_wrong_client_secret_gets_no_token(oauth_hub: RunningHub) -> None:
    """A wrong secret, or another App's id, is ``incorrect_client_credentials``."""
    code = code_for(oauth_hub, "alice")
    wrong = exchange(oauth_hub, code, client_secret=CLIENT_SECRET + "x")
    assert wrong["error"] == "incorrect_client_credentials" and "access_token" not in wrong
    other = exchange(oauth_hub, code, client_id=oauth_client(oauth_hub.hub, 2)[0])
    assert other["error"] == "incorrect_client_credentials"


def test_a_code_is_bound_to_its_app_callback_and_time(oauth_hub: RunningHub) -> None:
    """Another App's code, another callback, or an expired code: no token."""
    theirs = code_for(oauth_hub, "alice")
    other_id, other_secret = oauth_client(oauth_hub.hub, 2)
    stolen = exchange(oauth_hub, theirs, client_id=other_id, client_secret=other_secret)
    assert stolen["error"] == "bad_verification_code"
    moved = exchange(oauth_hub, code_for(oauth_hub, "alice"), redirect_uri="http://evil.example/")
    assert moved["error"] == "redirect_uri_mismatch"
    late = code_for(oauth_hub, "alice")
    with oauth_hub.hub.lock:  # ten minutes pass for this code
        oauth_hub.hub.state.oauth_codes[late].expires_at = time.time() - 1
    assert exchange(oauth_hub, late)["error"] == "bad_verification_code"


def test_the_token_acts_as_its_user(oauth_hub: RunningHub) -> None:
    """``GET /user`` answers the person who signed in, in GitHub's schema."""
    response = api(oauth_hub, "/user", user_token(oauth_hub, "alice"))
    assert response.status_code == 200
    assert response.json()["login"] == "alice"
    assert errors_of(response_schema("GET", "/user", 200) or {}, response.json()) == []


def test_an_expired_user_token_is_bad_credentials(oauth_hub: RunningHub) -> None:
    """After its 8 hours the token is refused like any unknown one."""
    token = user_token(oauth_hub, "alice")
    with oauth_hub.hub.lock:
        oauth_hub.hub.state.tokens[token].expires_at = time.time() - 1
    assert api(oauth_hub, "/user", token).status_code == 401


def test_user_installations_are_the_apps_the_person_reads(oauth_hub: RunningHub) -> None:
    """Only App 1's installation: not the other App's, though alice reads its repository."""
    for login in ("alice", "mallory"):
        response = api(oauth_hub, "/user/installations", user_token(oauth_hub, login))
        assert response.status_code == 200
        body = response.json()
        assert errors_of(USER_INSTALLATIONS_200, body) == []
        assert [i["id"] for i in body["installations"]] == [100] and body["total_count"] == 1


def test_installation_repositories_are_those_the_person_reads(oauth_hub: RunningHub) -> None:
    """alice: the public one and the private one she administers, not acme/vault; mallory:
    the public one only, read permission."""
    seen: dict[str, dict[str, dict[str, bool]]] = {}
    for login in ("alice", "mallory"):
        token = user_token(oauth_hub, login)
        response = api(oauth_hub, "/user/installations/100/repositories", token)
        assert response.status_code == 200
        assert errors_of(USER_INSTALLATION_REPOSITORIES_200, response.json()) == []
        seen[login] = {r["full_name"]: r["permissions"] for r in response.json()["repositories"]}
    assert set(seen["alice"]) == {"acme/widgets", "acme/secret"}
    assert seen["alice"]["acme/secret"]["admin"] is True
    assert set(seen["mallory"]) == {"acme/widgets"}
    assert seen["mallory"]["acme/widgets"] == {
        "pull": True,
        "triage": False,
        "push": False,
        "maintain": False,
        "admin": False,
    }


def test_another_apps_installation_is_not_found(oauth_hub: RunningHub) -> None:
    """The other App's installation is 404 to App 1's token, as is a missing one."""
    token = user_token(oauth_hub, "alice")
    assert api(oauth_hub, "/user/installations/200/repositories", token).status_code == 404
    assert api(oauth_hub, "/user/installations/999/repositories", token).status_code == 404


def test_listings_page_with_link_headers(oauth_hub: RunningHub) -> None:
    """``per_page=1`` gives one repository and a ``next`` link to the other."""
    token = user_token(oauth_hub, "alice")
    first = api(oauth_hub, "/user/installations/100/repositories?per_page=1", token)
    assert len(first.json()["repositories"]) == 1 and first.json()["total_count"] == 2
    following = httpx.get(
        first.links["next"]["url"], headers={"Authorization": f"Bearer {token}"}
    ).json()
    names = {
        first.json()["repositories"][0]["full_name"],
        following["repositories"][0]["full_name"],
    }
    assert names == {"acme/widgets", "acme/secret"}
    assert (
        "next"
        not in httpx.get(
            first.links["last"]["url"], headers={"Authorization": f"Bearer {token}"}
        ).links
    )


def test_other_credentials_cannot_list_user_installations(
    oauth_hub: RunningHub, app_key_pem: Path
) -> None:
    """A personal token or an installation token is 403; no token is 401."""
    assert api(oauth_hub, "/user/installations", "ghp_alice").status_code == 403
    bot = installation_token(oauth_hub.api_url, app_key_pem)
    assert api(oauth_hub, "/user/installations", bot).status_code == 403
    assert api(oauth_hub, "/user/installations", None).status_code == 401


def test_an_app_from_the_manifest_flow_signs_people_in(oauth_hub: RunningHub) -> None:
    """The client secret the manifest conversion hands out is the one the exchange accepts."""
    code = new_app_code(oauth_hub, "dashboard-signin")
    converted = httpx.post(f"{oauth_hub.api_url}/app-manifests/{code}/conversions").json()
    query = {"client_id": converted["client_id"], "redirect_uri": CALLBACK, "login": "alice"}
    approved = httpx.get(f"{oauth_hub.url}/login/oauth/authorize?{urlencode(query)}")
    signin = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    answer = httpx.post(
        f"{oauth_hub.url}/login/oauth/access_token",
        data={
            "client_id": converted["client_id"],
            "client_secret": converted["client_secret"],
            "code": signin,
        },
        headers={"Accept": "application/json"},
    ).json()
    assert api(oauth_hub, "/user", answer["access_token"]).json()["login"] == "alice"
