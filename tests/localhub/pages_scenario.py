"""A repository with everything the web pages show, written by hostile hands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.localhub import RunningHub
from tests.localhub.clients import installation_token

REPO = "acme/widgets"
# Every text a user, an App or a model writes is shown on a page: none of it may run.
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
NEW_MODULE = "ALPHA = 1\nBETA = 2\nGAMMA = 3\n"


@dataclass
class Scenario:
    """What was created, as the REST API rendered it."""

    issue: dict[str, Any]
    comment: dict[str, Any]
    pull: dict[str, Any]
    review: dict[str, Any]
    inline: dict[str, Any]
    reply: dict[str, Any]
    check_run: dict[str, Any]
    commit: dict[str, Any]


def build_scenario(hub: RunningHub, app_key: Path) -> Scenario:
    """An issue with a label and a comment, a pull request reviewed inline, a check run."""
    issue = hub.open_issue(
        REPO, f"Add a flag {HOSTILE}", f"The spec.\n\n{HOSTILE}", as_user="alice", labels=["spec"]
    )
    comment = hub.comment(REPO, issue["number"], f"Tracking {HOSTILE}", as_user="alice")
    sha = hub.push(
        REPO, "topic", {"src/new.py": NEW_MODULE}, as_user="alice", message=f"Add new {HOSTILE}"
    )
    pull = hub.open_pull(
        REPO, "topic", title=f"New module {HOSTILE}", body=f"Describes {HOSTILE}", as_user="alice"
    )
    review = hub.review(
        REPO,
        pull["number"],
        as_user="mallory",
        event="COMMENT",
        body=f"Review body {HOSTILE}",
        comments=[{"path": "src/new.py", "line": 2, "body": f"Why BETA? {HOSTILE}"}],
    )
    api = hub.api_url + f"/repos/{REPO}"
    alice = {"Authorization": "token ghp_alice"}
    inline = httpx.get(f"{api}/pulls/{pull['number']}/comments", headers=alice).json()[0]
    reply = httpx.post(
        f"{api}/pulls/{pull['number']}/comments/{inline['id']}/replies",
        headers=alice,
        json={"body": "Because the spec says so."},
    ).json()
    app = {"Authorization": f"token {installation_token(hub.api_url, app_key)}"}
    annotation = {
        "path": "src/new.py",
        "start_line": 2,
        "end_line": 2,
        "annotation_level": "failure",
        "message": f"Annotated {HOSTILE}",
    }
    output = {"title": "1 finding", "summary": f"Summary {HOSTILE}", "annotations": [annotation]}
    check_run = httpx.post(
        f"{api}/check-runs",
        headers=app,
        json={
            "name": "specbot/review",
            "head_sha": sha,
            "status": "completed",
            "conclusion": "failure",
            "details_url": "javascript:alert(1)",
            "output": output,
        },
    ).json()
    commit = httpx.get(f"{api}/commits/{sha}", headers=alice).json()
    hub.wait_for_deliveries()
    return Scenario(issue, comment, pull, review, inline, reply, check_run, commit)
