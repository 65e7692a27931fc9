"""A GitHub App's whole flow against localhub, as specbot runs it, with verified webhooks."""

from __future__ import annotations

from pathlib import Path

import httpx
from github import Auth, Github

from bot.localhub import RunningHub
from tests.hub_fixtures import APP_ID, INSTALLATION_ID, WEBHOOK_SECRET, Receiver, git
from tests.localhub.clients import app_jwt


def test_app_flow_from_jwt_to_check_run(
    hub: RunningHub, app_key_pem: Path, receiver: Receiver, tmp_path: Path
) -> None:
    """JWT, token, clone, push, PR, inline review, check run: each webhook arrives signed."""
    receiver.secret = WEBHOOK_SECRET
    # 1. the App's JWT buys an installation token
    minted = httpx.post(
        f"{hub.api_url}/app/installations/{INSTALLATION_ID}/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(app_key_pem)}"},
    )
    assert minted.status_code == 201
    token = minted.json()["token"]
    # 2. clone and push a branch with the token as basic auth
    work = tmp_path / "work"
    git("clone", "-q", hub.git_url("acme/widgets", token), str(work))
    git("checkout", "-q", "-b", "specbot/issue-1", cwd=work)
    lines = (work / "src" / "app.py").read_text().splitlines()
    lines[1] = "    return 'zero'"
    (work / "src" / "app.py").write_text("\n".join(lines) + "\n")
    git("commit", "-q", "-am", "Return a word", cwd=work)
    git("push", "-q", "origin", "specbot/issue-1", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    # 3. open the PR, review it with an inline comment on line 2, report a check run
    gh = Github(
        base_url=hub.api_url,
        auth=Auth.Token(token),
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    repo = gh.get_repo("acme/widgets")
    pr = repo.create_pull(
        title="Return a word", body="Closes #1", head="specbot/issue-1", base="main"
    )
    review = pr.create_review(
        commit=repo.get_commit(head),
        body="One finding",
        event="COMMENT",
        comments=[{"path": "src/app.py", "line": 2, "body": "Is a string intended?"}],
    )
    run = repo.create_check_run(
        name="specbot/review",
        head_sha=head,
        status="completed",
        conclusion="neutral",
        output={"title": "1 finding", "summary": "See the review"},
    )
    gh.close()
    # 4. every webhook arrived, signed, in the order the actions happened
    assert hub.wait_for_deliveries()
    assert receiver.rejected == 0
    events = [(r.headers["x-github-event"], r.json().get("action")) for r in receiver.requests]
    assert events == [
        ("push", None),
        ("check_suite", "requested"),
        ("pull_request", "opened"),
        ("pull_request_review", "submitted"),
        ("pull_request_review_comment", "created"),
        ("check_run", "created"),
        ("check_run", "completed"),
        ("check_suite", "completed"),
    ]
    by_event = {
        r.headers["x-github-event"]: r.json()
        for r in receiver.requests
        if r.json().get("action") != "requested"
    }
    requested = receiver.requests[1].json()["check_suite"]
    assert (requested["head_sha"], requested["status"]) == (head, "queued")
    assert all(r.json()["installation"]["id"] == INSTALLATION_ID for r in receiver.requests)
    assert by_event["push"]["after"] == head
    assert by_event["pull_request"]["pull_request"]["head"]["sha"] == head
    assert by_event["pull_request_review"]["review"]["id"] == review.id
    inline = by_event["pull_request_review_comment"]["comment"]
    assert (inline["path"], inline["line"], inline["side"]) == ("src/app.py", 2, "RIGHT")
    assert inline["diff_hunk"].endswith("+    return 'zero'")
    assert by_event["check_run"]["check_run"]["id"] == run.id
    assert by_event["check_suite"]["check_suite"]["conclusion"] == "neutral"
    assert by_event["check_suite"]["check_suite"]["id"] == requested["id"]
    assert by_event["check_run"]["sender"]["login"] == "specbot[bot]"
    assert {d["status_code"] for d in hub.deliveries()} == {200}
    assert by_event["check_run"]["check_run"]["app"]["id"] == APP_ID


def test_forged_signatures_are_caught_by_the_receiver(hub: RunningHub, receiver: Receiver) -> None:
    """A receiver with the wrong secret rejects every delivery, and the log shows the 401."""
    receiver.secret = "not-the-secret"
    hub.open_issue("acme/widgets", "Signed?", as_user="alice")
    assert hub.wait_for_deliveries()
    assert receiver.rejected == 1
    assert [d["status_code"] for d in hub.deliveries()] == [401]
