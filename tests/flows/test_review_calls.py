"""What a review costs in GitHub API calls, counted by localhub, on a cold server and a warm one.

A collaborator's pull request (``review.auto: collaborators``) is reviewed from its
``pull_request.opened`` delivery to the completed check run: every REST call specbot makes on
the way is in localhub's request log. Git's own traffic (the mirror's fetch) is not counted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from bot.offline import OfflineStack, start_stack
from tests.flows.stack_fixtures import (
    REPO,
    implement_script,
    seed,
    settle,
    wait_for,
    wait_for_run_end,
)

pytestmark = pytest.mark.slow

CONFIG = "review:\n  auto: collaborators\n"
COLD_LIMIT = 7  # the App's first delivery: its identity and an installation token included
WARM_LIMIT = 5


def _api_calls(stack: OfflineStack, since: int) -> list[str]:
    """specbot's REST calls after log entry ``since``, as ``METHOD path``."""
    return [
        f"{entry['method']} {entry['path'].removeprefix('/api/v3')}"
        for entry in stack.hub.requests()[since:]
        if entry["path"].startswith("/api/v3/") and entry["caller"] != "alice"
    ]


def _review_a_push(stack: OfflineStack, branch: str) -> list[str]:
    """alice pushes ``branch`` and opens a pull request; the calls until its review is done."""
    stack.hub.push(REPO, branch, {f"widgets/{branch}.py": "X = 1\n"}, as_user="alice")
    since = len(stack.hub.requests())
    opened: dict[str, Any] = stack.hub.open_pull(REPO, branch, title=branch, as_user="alice")
    number = int(opened["number"])
    prefix = f"review:{REPO}#{number}@"
    [run_id] = wait_for(lambda: stack.engine.run_ids(prefix), what="the review run")
    assert wait_for_run_end(stack, run_id) == "SUCCESS"
    settle(stack)
    return _api_calls(stack, since)


def test_a_review_costs_at_most_seven_calls_cold_and_five_warm(
    tmp_path: Path, app_key_pem: Path
) -> None:
    with start_stack(
        seed(tmp_path, app_key_pem, CONFIG),
        implement_script(),
        tmp_path / "data",
        app_key_pem,
        SPECBOT_WORKSPACE_VENV=Path(sys.prefix),
    ) as stack:
        cold = _review_a_push(stack, "inches")
        warm = _review_a_push(stack, "feet")
    print("cold:", *cold, sep="\n  ")
    print("warm:", *warm, sep="\n  ")
    assert "POST /repos/acme/widgets/pulls/1/reviews" in cold
    assert len(cold) <= COLD_LIMIT, cold
    assert len(warm) <= WARM_LIMIT, warm
