"""The flows' handlers on GitHub's own example payloads, signed and posted to the webhook
server as GitHub would, including the null bodies GitHub sends for empty texts."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.flows._runs import spec_prefix
from bot.offline import WEBHOOK_SECRET, OfflineStack
from tests.flows.stack_fixtures import (
    INSTALLATION_ID,
    REPO,
    hub_client,
    implement_script,
    model_requests,
    own_comments,
    settle,
    start,
    tracking_comments,
    wait_for,
    wait_for_run_end,
)
from tests.web.conftest import example, json_body, signed_headers

pytestmark = pytest.mark.slow


def _for_our_repo(payload: dict[str, Any]) -> dict[str, Any]:
    """GitHub's example, moved to the seeded repository and installation, sent by alice."""
    owner, name = REPO.split("/")
    payload["repository"].update(full_name=REPO, name=name)
    payload["repository"]["owner"]["login"] = owner
    payload["installation"] = {"id": INSTALLATION_ID, "node_id": "MDIzOkludGVncmF0aW9uMTAw"}
    payload["sender"].update(login="alice", type="User")
    return payload


def _post(stack: OfflineStack, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Sign and post one delivery; the server's JSON answer (202 expected)."""
    body = json_body(payload)
    headers = signed_headers(event, body, secret=WEBHOOK_SECRET)
    request = urllib.request.Request(stack.webhook_url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def test_null_bodies_in_githubs_example_payloads(tmp_path: Path, app_key_pem: Path) -> None:
    """``issues.labeled`` with ``body: null`` starts a run that stops at the gate saying the
    spec is not ready; an ``issue_comment.created`` and a ``pull_request.opened`` with null
    bodies are dispatched without error and change nothing."""
    with start(tmp_path, app_key_pem, implement_script()) as stack:
        number = stack.hub.open_issue(REPO, "Sizes", None, as_user="alice")["number"]

        labeled = _for_our_repo(json.loads(example("issues", "labeled.payload.json")))
        labeled["issue"].update(number=number, body=None)
        labeled["label"]["name"] = "spec"
        answer = _post(stack, "issues", labeled)
        assert answer["status"] == "queued"
        [run_id] = wait_for(
            lambda: stack.engine.run_ids(spec_prefix(REPO, number)), what="a spec run"
        )
        assert wait_for_run_end(stack, run_id) == "SUCCESS"
        output = stack.engine.result(run_id, timeout=0)
        assert output["ready"] is False and output["body"] == ""
        [tracking] = tracking_comments(stack, number)
        assert "not ready" in tracking["body"]
        repo = hub_client(stack).get_repo(REPO)
        main = repo.get_branch("main").commit.sha
        statuses = repo.get_commit(main).get_combined_status().statuses
        assert [(s.context, s.state) for s in statuses] == [("specbot/spec", "failure")]

        comment = _for_our_repo(json.loads(example("issue_comment", "created.payload.json")))
        comment["issue"].update(number=number, body=None)
        comment["comment"]["body"] = None
        pull = _for_our_repo(json.loads(example("pull_request", "opened.payload.json")))
        pull["pull_request"]["body"] = None
        dispatched = [_post(stack, "issue_comment", comment), _post(stack, "pull_request", pull)]
        for answer in dispatched:
            assert answer["status"] == "queued"
            assert wait_for_run_end(stack, answer["run_id"]) == "SUCCESS"
        settle(stack)

        assert [c["id"] for c in own_comments(stack, number)] == [tracking["id"]]
        assert stack.engine.run_ids(spec_prefix(REPO, number)) == [run_id]
        assert stack.engine.run_ids("review:") == []
        assert model_requests(stack) == []
        assert repo.get_pulls(state="all").totalCount == 0
