"""Authentication and permissions as GitHub enforces them."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.localhub import RunningHub
from tests.localhub.clients import app_jwt, installation_token


def _get(hub: RunningHub, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return httpx.get(hub.api_url + path, headers=headers)


def _token_call(
    hub: RunningHub, jwt_value: str, body: dict[str, object] | None = None
) -> httpx.Response:
    return httpx.post(
        hub.api_url + "/app/installations/100/access_tokens",
        headers={"Authorization": f"Bearer {jwt_value}"},
        json=body,
    )


def test_unknown_personal_token_is_401_bad_credentials(hub: RunningHub) -> None:
    """A token localhub never issued is answered 401 "Bad credentials"."""
    response = _get(hub, "/repos/acme/widgets", "ghp_wrong")
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"
    assert response.headers["x-ratelimit-limit"] == "60"


def test_private_repository_is_invisible_without_access(hub: RunningHub) -> None:
    """A private repository is 404 for outsiders and anonymous callers, 200 for collaborators."""
    assert _get(hub, "/repos/acme/secret", "ghp_mallory").status_code == 404
    assert _get(hub, "/repos/acme/secret", None).status_code == 404
    assert _get(hub, "/repos/acme/secret", "ghp_alice").status_code == 200


def test_role_levels_decide_what_a_user_may_do(hub: RunningHub) -> None:
    """read may comment but not label; triage may label; write may push refs."""
    issue = hub.open_issue("acme/widgets", "Spec", as_user="alice")
    labels = f"{hub.api_url}/repos/acme/widgets/issues/{issue['number']}/labels"
    comments = f"{hub.api_url}/repos/acme/widgets/issues/{issue['number']}/comments"
    as_mallory = {"Authorization": "token ghp_mallory"}
    assert httpx.post(comments, headers=as_mallory, json={"body": "hi"}).status_code == 201
    denied = httpx.post(labels, headers=as_mallory, json={"labels": ["x"]})
    assert denied.status_code == 403
    assert "triage" in denied.json()["message"]
    allowed = httpx.post(
        labels, headers={"Authorization": "token ghp_trent"}, json={"labels": ["x"]}
    )
    assert allowed.status_code == 200
    sha = _get(hub, "/repos/acme/widgets/branches/main", "ghp_alice").json()["commit"]["sha"]
    ref = {"ref": "refs/heads/by-trent", "sha": sha}
    refs = f"{hub.api_url}/repos/acme/widgets/git/refs"
    assert (
        httpx.post(refs, headers={"Authorization": "token ghp_trent"}, json=ref).status_code == 403
    )
    assert (
        httpx.post(refs, headers={"Authorization": "token ghp_alice"}, json=ref).status_code == 201
    )


def test_collaborator_permission_reports_each_role(hub: RunningHub) -> None:
    """``collaborators/{u}/permission`` gives the role and GitHub's legacy permission name."""
    expected = {
        "alice": ("write", "write"),
        "mallory": ("read", "read"),
        "trent": ("read", "triage"),
        "owen": ("admin", "admin"),
        "acme": ("admin", "admin"),
    }
    for login, (permission, role) in expected.items():
        body = _get(
            hub, f"/repos/acme/widgets/collaborators/{login}/permission", "ghp_alice"
        ).json()
        assert (body["permission"], body["role_name"]) == (permission, role), login
        assert body["user"]["login"] == login


def test_app_jwt_gets_an_installation_token_for_one_hour(
    hub: RunningHub, app_key_pem: Path
) -> None:
    """A valid JWT is exchanged for a token expiring in an hour with the installation's grants."""
    before = int(time.time())
    response = _token_call(hub, app_jwt(app_key_pem))
    after = time.time()
    assert response.status_code == 201
    body = response.json()
    expires = time.mktime(time.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert before + 3600 <= expires <= after + 3600
    assert body["permissions"]["checks"] == "write"
    assert [r["full_name"] for r in body["repositories"]] == ["acme/widgets"]
    token = body["token"]
    assert _get(hub, "/repos/acme/widgets", token).status_code == 200
    assert _get(hub, "/repos/acme/secret", token).status_code == 404


@pytest.mark.parametrize(
    ("iat_offset", "exp_offset"),
    [(-60, 900), (300, 540), (-700, -60)],
    ids=["exp-too-far", "iat-in-future", "expired"],
)
def test_jwt_time_rules_are_enforced(
    hub: RunningHub, app_key_pem: Path, iat_offset: int, exp_offset: int
) -> None:
    """exp beyond 10 minutes, iat in the future or an expired JWT are 401s."""
    now = time.time()
    response = _token_call(hub, app_jwt(app_key_pem, iat=now + iat_offset, exp=now + exp_offset))
    assert response.status_code == 401


def test_jwt_signed_by_another_key_is_refused(hub: RunningHub, tmp_path: Path) -> None:
    """A JWT for App 1 signed with a key that is not the App's is a 401."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "other.pem"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert _token_call(hub, app_jwt(path)).status_code == 401


def test_installation_tokens_can_be_narrowed(hub: RunningHub, app_key_pem: Path) -> None:
    """Requesting fewer permissions gives a token that is refused the rest."""
    narrowed = _token_call(hub, app_jwt(app_key_pem), {"permissions": {"issues": "read"}})
    assert narrowed.status_code == 201
    token = narrowed.json()["token"]
    issue = hub.open_issue("acme/widgets", "Spec", as_user="alice")
    comments = f"{hub.api_url}/repos/acme/widgets/issues/{issue['number']}/comments"
    read = httpx.get(comments, headers={"Authorization": f"token {token}"})
    assert read.status_code == 200
    write = httpx.post(comments, headers={"Authorization": f"token {token}"}, json={"body": "x"})
    assert write.status_code == 403
    assert write.json()["message"] == "Resource not accessible by integration"
    too_much = _token_call(hub, app_jwt(app_key_pem), {"permissions": {"administration": "write"}})
    assert too_much.status_code == 422


def test_expired_installation_token_is_bad_credentials(hub: RunningHub, app_key_pem: Path) -> None:
    """Once an installation token's hour is over it is answered 401."""
    token = installation_token(hub.api_url, app_key_pem)
    assert _get(hub, "/repos/acme/widgets", token).status_code == 200
    with hub.hub.lock:
        hub.hub.state.tokens[token].expires_at = time.time() - 1
    assert _get(hub, "/repos/acme/widgets", token).status_code == 401


def test_personal_tokens_cannot_create_check_runs(hub: RunningHub, app_key_pem: Path) -> None:
    """Check runs need an App: a personal token with write access is refused, the App is not."""
    sha = _get(hub, "/repos/acme/widgets/branches/main", "ghp_alice").json()["commit"]["sha"]
    body = {"name": "ci", "head_sha": sha}
    url = hub.api_url + "/repos/acme/widgets/check-runs"
    assert (
        httpx.post(url, headers={"Authorization": "token ghp_alice"}, json=body).status_code == 403
    )
    token = installation_token(hub.api_url, app_key_pem)
    created = httpx.post(url, headers={"Authorization": f"token {token}"}, json=body)
    assert created.status_code == 201
    assert created.json()["app"]["slug"] == "specbot"


def test_actions_token_is_limited_to_its_repository(hub: RunningHub) -> None:
    """A GITHUB_TOKEN-style token works on its repository only, as github-actions[bot]."""
    token = hub.actions_token("acme/widgets", {"issues": "write", "metadata": "read"})
    issue = httpx.post(
        hub.api_url + "/repos/acme/widgets/issues",
        headers={"Authorization": f"token {token}"},
        json={"title": "From a workflow"},
    )
    assert issue.status_code == 201
    assert issue.json()["user"]["login"] == "github-actions[bot]"
    assert issue.json()["user"]["type"] == "Bot"
    assert _get(hub, "/repos/acme/secret", token).status_code == 404
    pulls = httpx.post(
        hub.api_url + "/repos/acme/widgets/pulls",
        headers={"Authorization": f"token {token}"},
        json={"title": "x", "head": "main", "base": "main"},
    )
    assert pulls.status_code == 403
