"""Webhook deliveries: GitHub's headers and signatures, official body schemas, the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx

from bot.localhub import RunningHub, start_localhub
from bot.webhooks import sign
from tests.hub_fixtures import WEBHOOK_SECRET, Receiver, write_seed
from tests.localhub.clients import installation_token
from tests.localhub.openapi import DATA, errors_of, webhook_schema

EXPECTED = {
    ("issues", "opened"),
    ("issues", "edited"),
    ("issues", "labeled"),
    ("issues", "unlabeled"),
    ("issues", "closed"),
    ("issues", "reopened"),
    ("issue_comment", "created"),
    ("issue_comment", "edited"),
    ("pull_request", "opened"),
    ("pull_request", "synchronize"),
    ("pull_request", "closed"),
    ("pull_request", "reopened"),
    ("pull_request", "labeled"),
    ("pull_request", "unlabeled"),
    ("pull_request", "edited"),
    ("pull_request_review", "submitted"),
    ("pull_request_review_comment", "created"),
    ("check_run", "created"),
    ("check_run", "completed"),
    ("check_suite", "requested"),
    ("check_suite", "completed"),
    ("installation", "created"),
    ("push", None),
    ("ping", None),
}


def _wait_for(receiver: Receiver, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_signature_matches_githubs_published_vectors() -> None:
    """``sign`` reproduces every X-Hub-Signature-256 vector GitHub and Octokit publish."""
    vectors = json.loads((DATA / "signature-vectors.json").read_text())["vectors"]
    sha256 = [v for v in vectors if "x_hub_signature_256" in v]
    assert len(sha256) >= 4
    for vector in sha256:
        assert sign(vector["payload"].encode(), vector["secret"]) == vector["x_hub_signature_256"]


def _drive_every_event(hub: RunningHub, token: str, hook_url: str) -> None:
    with (
        httpx.Client(base_url=hub.api_url, headers={"Authorization": f"token {token}"}) as api,
        httpx.Client(base_url=hub.api_url, headers={"Authorization": "token ghp_alice"}) as alice,
    ):
        hub.add_hook("acme/widgets", hook_url, secret="hooksecret")  # sends a ping
        _drive(hub, api, alice)
    assert hub.wait_for_deliveries()


def _drive(hub: RunningHub, api: httpx.Client, alice: httpx.Client) -> None:
    issue = alice.post("/repos/acme/widgets/issues", json={"title": "Spec", "body": "Do it"}).json()
    n = issue["number"]
    alice.patch(f"/repos/acme/widgets/issues/{n}", json={"body": "Do it well"})
    api.post(f"/repos/acme/widgets/issues/{n}/labels", json={"labels": ["spec"]})
    api.delete(f"/repos/acme/widgets/issues/{n}/labels/spec")
    comment = api.post(f"/repos/acme/widgets/issues/{n}/comments", json={"body": "On it"}).json()
    api.patch(f"/repos/acme/widgets/issues/comments/{comment['id']}", json={"body": "Done"})
    alice.patch(f"/repos/acme/widgets/issues/{n}", json={"state": "closed"})
    alice.patch(f"/repos/acme/widgets/issues/{n}", json={"state": "open"})
    head = hub.push("acme/widgets", "feature", {"src/new.py": "x = 1\n"}, as_user="alice")
    pr = api.post(
        "/repos/acme/widgets/pulls", json={"title": "Feature", "head": "feature", "base": "main"}
    ).json()
    p = pr["number"]
    hub.push("acme/widgets", "feature", {"src/new.py": "x = 2\n"}, as_user="alice")
    api.post(f"/repos/acme/widgets/issues/{p}/labels", json={"labels": ["specbot"]})
    alice.post(
        f"/repos/acme/widgets/pulls/{p}/reviews",
        json={
            "event": "COMMENT",
            "body": "See inline",
            "comments": [{"path": "src/new.py", "line": 1, "body": "Why 2?"}],
        },
    )
    run = api.post(
        "/repos/acme/widgets/check-runs",
        json={"name": "specbot", "head_sha": head, "status": "in_progress"},
    ).json()
    api.patch(f"/repos/acme/widgets/check-runs/{run['id']}", json={"conclusion": "neutral"})
    alice.patch(f"/repos/acme/widgets/pulls/{p}", json={"state": "closed"})
    alice.patch(f"/repos/acme/widgets/pulls/{p}", json={"state": "open"})
    alice.patch(f"/repos/acme/widgets/pulls/{p}", json={"title": "Feature, renamed"})
    api.delete(f"/repos/acme/widgets/issues/{p}/labels/specbot")


def test_every_event_validates_against_the_official_schema(
    tmp_path: Path, app_key_pem: Path, receiver: Receiver
) -> None:
    """Every event and action localhub sends is signed and validates against GitHub's schema."""
    hub = start_localhub(write_seed(tmp_path, app_key_pem, receiver.url))
    try:
        from bot.localhub import SeedApp, SeedInstallation

        hub.add_app(
            SeedApp(
                id=2,
                slug="other",
                private_key_path=app_key_pem,
                webhook_url=receiver.url,
                webhook_secret=WEBHOOK_SECRET,
                installations=[
                    SeedInstallation(id=200, account="acme", repositories=["acme/widgets"])
                ],
            )
        )
        _drive_every_event(hub, installation_token(hub.api_url, app_key_pem), receiver.url)
        deliveries = hub.deliveries()
    finally:
        hub.stop()
    seen: set[tuple[str, str | None]] = set()
    failures: list[str] = []
    for got in receiver.requests:
        event = got.headers["x-github-event"]
        body = got.json()
        seen.add((event, body.get("action")))
        secret = (
            WEBHOOK_SECRET
            if got.headers["x-github-hook-installation-target-type"] == "integration"
            else "hooksecret"
        )
        expected = "sha256=" + hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["x-hub-signature-256"] == expected
        assert got.headers["user-agent"].startswith("GitHub-Hookshot/")
        assert got.headers["content-type"] == "application/json"
        assert len(got.headers["x-github-delivery"]) == 36
        assert got.headers["x-github-hook-id"].isdigit()
        if got.headers["x-github-hook-installation-target-type"] == "integration":
            assert body.get("installation", {}).get("id") in (100, 200), (
                event,
                body.get("action"),
                list(body),
            )
        for error in errors_of(webhook_schema(event, body.get("action")), body)[:5]:
            failures.append(f"{event}.{body.get('action')}: {error}")
    assert failures == [], "\n".join(failures)
    assert EXPECTED - seen == set()
    assert all(d["status"] in ("OK", "failed") for d in deliveries)


def test_labels_given_at_creation_or_by_edit_fire_labeled(
    hub: RunningHub, receiver: Receiver
) -> None:
    """Creating with labels fires opened then labeled; replacing labels fires both kinds."""
    headers = {"Authorization": "token ghp_alice"}
    created = httpx.post(
        hub.api_url + "/repos/acme/widgets/issues",
        headers=headers,
        json={"title": "Spec", "labels": ["spec", "p1"]},
    )
    httpx.patch(
        f"{hub.api_url}/repos/acme/widgets/issues/{created.json()['number']}",
        headers=headers,
        json={"labels": ["p1", "ready"]},
    )
    assert hub.wait_for_deliveries()
    events = [
        (r.json()["action"], r.json().get("label", {}).get("name")) for r in receiver.requests
    ]
    assert events == [
        ("opened", None),
        ("labeled", "spec"),
        ("labeled", "p1"),
        ("unlabeled", "spec"),
        ("labeled", "ready"),
    ]


def test_apps_only_receive_events_their_permissions_cover(
    hub: RunningHub, receiver: Receiver, app_key_pem: Path
) -> None:
    """An App installed with issues permission only gets issues, not pushes or pull requests."""
    from bot.localhub import SeedApp, SeedInstallation

    hub.set_app_webhook(1, None)  # silence the fully permitted App
    hub.add_app(
        SeedApp(
            id=3,
            slug="triager",
            private_key_path=app_key_pem,
            webhook_url=receiver.url,
            webhook_secret=WEBHOOK_SECRET,
            installations=[
                SeedInstallation(
                    id=300,
                    account="acme",
                    repositories=["acme/widgets"],
                    permissions={"issues": "write"},
                )
            ],
        )
    )
    hub.open_issue("acme/widgets", "For the triager", as_user="alice")
    hub.push("acme/widgets", "topic", {"t.txt": "t\n"}, as_user="alice")
    hub.open_pull("acme/widgets", "topic", title="Not for the triager", as_user="alice")
    assert hub.wait_for_deliveries()
    events = [(r.headers["x-github-event"], r.json().get("action")) for r in receiver.requests]
    assert events == [("installation", "created"), ("issues", "opened")]
