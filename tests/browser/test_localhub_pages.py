"""localhub's pages in a real browser: they render, link to each other, and run no script."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.localhub import RunningHub
from tests.browser.conftest import screenshot
from tests.localhub.pages_scenario import HOSTILE, REPO, Scenario, build_scenario

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture
def scenario(hub: RunningHub, app_key_pem: Path) -> Scenario:
    """The test repository with an issue, a reviewed pull request and a check run."""
    return build_scenario(hub, app_key_pem)


def _open(page: Page, url: str, name: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    screenshot(page, name)
    assert errors == []
    # the hostile text is on the page as text, and nothing it carried ran or was parsed
    assert page.evaluate("window.pwned") is None
    assert page.locator("script, img").count() == 0


def test_the_issue_page_shows_hostile_text_as_text(page: Page, scenario: Scenario) -> None:
    """The body's ``<script>`` and ``<img onerror>`` are visible characters, not elements."""
    _open(page, scenario.issue["html_url"], "localhub-issue")
    assert HOSTILE in page.locator("#issue-body").inner_text()
    assert page.locator(".label", has_text="spec").count() == 1
    comment = page.locator(f"#issuecomment-{scenario.comment['id']}")
    assert f"Tracking {HOSTILE}" in comment.inner_text()


def test_the_diff_puts_the_thread_under_its_line(page: Page, scenario: Scenario) -> None:
    """In the rendered table the thread's row is right after line 2's row."""
    _open(page, scenario.pull["html_url"] + "/files", "localhub-pull-files")
    rows = page.locator("table.diff tr").all_inner_texts()
    at = next(i for i, row in enumerate(rows) if "BETA = 2" in row)
    assert "Why BETA?" in rows[at + 1] and "Because the spec says so." in rows[at + 1]
    assert "GAMMA = 3" in rows[at + 2]


def test_a_reader_follows_links_from_the_pull_request(page: Page, scenario: Scenario) -> None:
    """Conversation -> check run -> commit, by clicking, as someone reading the demo would."""
    _open(page, scenario.pull["html_url"], "localhub-pull")
    assert "Describes" in page.locator("#issue-body").inner_text()
    page.click(f'a[href="/{REPO}/runs/{scenario.check_run["id"]}"]')
    assert "Annotated" in page.locator("body").inner_text()
    screenshot(page, "localhub-check-run")
    page.click(f'a[href="/{REPO}/commit/{scenario.commit["sha"]}"]')
    assert "+GAMMA = 3" in page.locator("table.diff").inner_text()
    screenshot(page, "localhub-commit")
    page.click(f'a[href="/{REPO}"]')
    assert page.locator("h1").inner_text() == REPO
    screenshot(page, "localhub-repository")
