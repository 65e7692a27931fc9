"""GitHub's App manifest flow on localhub: form post, redirect with a code, one conversion."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from bot.localhub import RunningHub
from tests.localhub.manifests import CALLBACK, manifest, new_app_code, post_manifest


def _convert(hub: RunningHub, code: str) -> httpx.Response:
    return httpx.post(f"{hub.api_url}/app-manifests/{code}/conversions")


def test_a_posted_manifest_becomes_an_app_whose_key_and_secret_work(hub: RunningHub) -> None:
    """The redirect carries a code and the state; the code gives a key GitHub's API accepts."""
    response = post_manifest(hub, manifest("specbot-two"), state="s-123")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["s-123"]
    created = _convert(hub, query["code"][0])
    assert created.status_code == 201
    app = created.json()
    assert app["slug"] == "specbot-two" and app["owner"]["login"] == "acme"
    assert app["permissions"]["checks"] == "write" and "issue_comment" in app["events"]
    assert len(app["webhook_secret"]) >= 32 and app["client_secret"]
    now = int(time.time())
    token = jwt.encode(
        {"iat": now - 60, "exp": now + 300, "iss": str(app["id"])}, app["pem"], "RS256"
    )
    me = httpx.get(f"{hub.api_url}/app", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["id"] == app["id"]
    stored = hub.state()["apps"][str(app["id"])]
    assert stored["webhook_url"] == manifest()["hook_attributes"]["url"]
    assert stored["webhook_secret"] == app["webhook_secret"]


def test_a_code_converts_once_and_not_after_an_hour(hub: RunningHub) -> None:
    """A replayed or expired code is GitHub's 404, and the private key is never given twice."""
    code = new_app_code(hub, "once")
    assert _convert(hub, code).status_code == 201
    assert _convert(hub, code).status_code == 404
    late = new_app_code(hub, "late")
    hub.hub.state.manifest_codes[late].expires_at = time.time() - 1
    assert _convert(hub, late).status_code == 404
    assert _convert(hub, "not-a-code").status_code == 404
    assert "pem" not in str(hub.state()["manifest_codes"])


def test_a_personal_app_belongs_to_the_signed_in_user(hub: RunningHub) -> None:
    """``/settings/apps/new`` creates the App for localhub's first user."""
    code = parse_qs(
        urlsplit(post_manifest(hub, manifest("mine"), org=None).headers["location"]).query
    )["code"][0]
    assert _convert(hub, code).json()["owner"]["login"] == "alice"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "manifest is not valid JSON"),
        ([1, 2], "manifest must be a JSON object"),
        (manifest(url=None), "url must be an http(s) URL"),
        (manifest(redirect_url="javascript:alert(1)"), "redirect_url must be an http(s) URL"),
        (manifest(hook_attributes={"url": "file:///etc/passwd"}), "hook_attributes.url must"),
        (manifest(default_permissions={"contents": "owner"}), "default_permissions must"),
        (manifest(name="x" * 35), "name must be 1 to 34 characters"),
        (manifest(name="specbot"), "name &#x27;specbot&#x27; is already in use"),
    ],
)
def test_a_manifest_github_would_refuse_is_a_422_page_naming_the_field(
    hub: RunningHub, data: object, message: str
) -> None:
    """Nothing is created and nothing redirects: the page names what is wrong."""
    before = len(hub.state()["apps"])
    response = post_manifest(hub, data)
    assert response.status_code == 422
    assert message in response.text
    assert len(hub.state()["apps"]) == before


def test_an_unknown_organisation_is_not_found(hub: RunningHub) -> None:
    """A user is not an organisation, and a missing one does not exist."""
    assert post_manifest(hub, manifest("x"), org="alice").status_code == 404
    assert post_manifest(hub, manifest("y"), org="nobody").status_code == 404
