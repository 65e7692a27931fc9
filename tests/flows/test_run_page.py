"""The run page the tracking comment links to, behind its signed link."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    start,
    wait_for,
)

pytestmark = pytest.mark.slow
PUBLIC = "https://specbot.example.com"


def test_the_tracking_comment_links_a_page_only_its_readers_can_open(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """The signed link shows the run's stages; without or with a wrong signature: 404."""
    with start(tmp_path, app_key_pem, implement_script(), SPECBOT_PUBLIC_URL=PUBLIC) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        number = issue["number"]
        stack.hub.label(REPO, number, ["spec"], as_user="alice")
        wait_for(lambda: list(repo.get_pulls(state="open")), what="a PR")

        def link() -> str | None:
            for comment in repo.get_issue(number).get_comments():
                found = re.search(
                    r"\[run page\]\((https://specbot\.example\.com[^)]+)\)", comment.body
                )
                if found:
                    return found.group(1)
            return None

        url = wait_for(link, what="the run page link")
        local = url.replace(PUBLIC, stack.webhook_url.removesuffix("/webhook"))
        run_id = f"spec:{REPO}#{number}:"
        page = wait_for(
            lambda: (
                (r := httpx.get(local + "&format=json")).status_code == 200
                and r.json()["status"] == "SUCCESS"
                and r.json()
            ),
            what="the finished run's page",
        )
        assert page["run_id"].startswith(run_id)
        assert [s["name"] for s in page["output"]["stages"]][-1] == "publish"
        html = httpx.get(local).text
        assert "<h1>specbot run" in html and "publish" in html and "done" in html
        assert httpx.get(local.split("?")[0]).status_code == 404
        assert httpx.get(local[:-1] + ("0" if local[-1] != "0" else "1")).status_code == 404
