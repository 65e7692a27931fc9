"""The run dashboard in a real browser, over runs the App makes with the scripted model.

alice signs in with GitHub (localhub's OAuth flow), watches her spec's run appear and finish
without reloading, opens it and reads its timeline, its SVG chart and its cost; a browser
without a session is refused; a private repository she cannot read never shows; ``/metrics``
parses and its figures match the runs made.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.durable import RunQuery
from bot.offline import OfflineStack
from tests.browser.conftest import screenshot
from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    implement_script,
    model_requests,
    seed,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow
VAULT = "acme/vault"
OPERATOR_SECRET = "browser-dashboard-secret-42"


def _seed(tmp_path: Path, key: Path) -> dict[str, Any]:
    """The flows' seed plus a private repository of the same installation alice cannot read."""
    seeded = seed(tmp_path, key)
    seeded["repos"].append(
        {
            "full_name": VAULT,
            "source": seeded["repos"][0]["source"],
            "default_branch": "main",
            "private": True,
            "collaborators": {"mallory": "write"},
        }
    )
    seeded["apps"][0]["installations"][0]["repositories"].append(VAULT)
    return seeded


def _metrics(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, parsed by prometheus-client's own parser."""
    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {OPERATOR_SECRET}"})
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _total(samples: dict[tuple[str, Any], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= set(found))


def _sign_in(page: Page, base: str) -> None:
    """Through /login, localhub's authorize page and the callback, back on /runs."""
    page.goto(f"{base}/runs")
    page.get_by_role("button", name=re.compile("alice")).click()
    page.wait_for_url(re.compile(r"/runs$"))


def test_a_person_signs_in_watches_a_run_and_reads_it(
    browser: Browser, page: Page, tmp_path: Path, app_key_pem: Path
) -> None:
    """The whole look: sign in, the run appears and finishes live, its page and its figures."""
    from bot.offline._stack import start_stack

    stack: OfflineStack = start_stack(
        _seed(tmp_path, app_key_pem),
        implement_script(),
        tmp_path / "data",
        app_key_pem,
        SPECBOT_WORKSPACE_VENV=Path(sys.prefix),
        SPECBOT_DASHBOARD_ACCESS="github",
        SPECBOT_DASHBOARD_SECRET=OPERATOR_SECRET,
    )
    with stack:
        base = stack.webhook_url.removesuffix("/webhook")
        stack.engine.index.started(f"spec:{VAULT}#7:abc", "spec", {"repo": VAULT, "issue": 7})
        before = _metrics(base)
        calls_before = len(model_requests(stack))
        _sign_in(page, base)
        assert page.get_by_role("heading", name="Runs").is_visible()
        screenshot(page, "dashboard-runs-empty")

        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        spec_row = page.locator("#rows tr", has_text="spec").filter(has_text=f"#{issue['number']}")
        spec_row.first.wait_for(timeout=60_000)  # arrived through the live stream: no reload
        page.locator("#rows tr", has_text="review").first.wait_for(timeout=180_000)
        spec_row.filter(has_text="succeeded").first.wait_for(timeout=180_000)
        screenshot(page, "dashboard-runs")
        page.set_viewport_size({"width": 360, "height": 780})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "dashboard-runs-360px")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert VAULT not in page.content()

        spec_row.first.get_by_role("link", name=REPO).click()
        page.wait_for_url(re.compile(r"/runs/spec"))
        page.locator("#timeline li").nth(5).wait_for()
        stages = page.locator("#timeline li.kind-stage").all_inner_texts()
        assert any("stage publish finished" in text for text in stages)
        assert page.locator("#timeline li.kind-model").count() >= 2
        assert page.locator("#timeline li.kind-github a[href]").count() >= 1
        assert page.locator("svg.gantt rect.bar").count() >= 5
        cost = page.locator("#cost").inner_text()
        [row] = stack.engine.index.page(RunQuery(flow="spec", repository=REPO)).rows
        assert f"${row.cost_usd:.4f}" in cost and row.cost_usd > 0
        assert page.get_by_role("heading", name="Cost").is_visible()
        screenshot(page, "dashboard-run")
        # On a phone: nothing wider than the screen but what scrolls inside its own box.
        page.set_viewport_size({"width": 360, "height": 780})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "dashboard-run-360px")

        # Without a session: the run's page is not found, the list asks to sign in.
        stranger = browser.new_context()
        other = stranger.new_page()
        answer = other.goto(page.url)
        assert answer is not None and answer.status == 404
        other.goto(f"{base}/runs")
        assert "/login/oauth/authorize" in other.url
        screenshot(other, "dashboard-refused")
        stranger.close()

        # The vault's run exists, and alice cannot open it either.
        vault = page.goto(f"{base}/runs/spec%3Aacme%2Fvault%237%3Aabc")
        assert vault is not None and vault.status == 404

        after = _metrics(base)
        made = len(model_requests(stack)) - calls_before
        assert made > 0
        assert _total(after, "specbot_model_calls_total") - _total(
            before, "specbot_model_calls_total"
        ) == pytest.approx(made)
        finished = _total(after, "specbot_runs_finished_total", flow="spec", state="succeeded")
        assert finished - _total(
            before, "specbot_runs_finished_total", flow="spec", state="succeeded"
        ) == pytest.approx(1)
