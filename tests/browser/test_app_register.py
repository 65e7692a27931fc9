"""``specbot app register`` in a real browser: its page posts the manifest by itself."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.localhub import RunningHub
from tests.browser.conftest import screenshot
from tests.cli.registering import APP_YML, start_register

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_page_posts_the_manifest_and_github_sends_the_browser_back(
    page: Page, hub: RunningHub, tmp_path: Path
) -> None:
    """Opening the page is all a person does: form post, App created, callback, files written."""
    running = start_register(
        tmp_path / "data", "--github-url", hub.url, "--org", "acme", "--name", "from-browser",
        "--public-url", "https://bot.example.org", "--manifest", str(APP_YML), "--timeout", "60",
    )  # fmt: skip
    page.goto(running.page)
    page.wait_for_url("**/callback?**")
    assert "registered as the App from-browser" in page.locator("body").inner_text()
    screenshot(page, "app-register-done")
    code, out, err = running.finish()
    assert code == 0, out + err
    assert (tmp_path / "data" / "app.pem").exists()
