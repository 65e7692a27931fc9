"""The pages over runs the App really made: alice labels a ready spec, the scripted model does
the work, and the run's page (through a session and through the tracking comment's signed
link) shows its stages, model calls, GitHub writes, chart and cost as the run index has them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from bot.adapters.durable import RunQuery
from tests.dashboard.test_pages import assert_inert, tags_of
from tests.flows.stack_fixtures import (
    REPO,
    implement_script,
    settle,
    spec_to_review,
    start,
    tracking_comments,
)

pytestmark = pytest.mark.slow
SVG = "{http://www.w3.org/2000/svg}"


def _entries(html: str) -> list[tuple[str, str, str]]:
    """The page's timeline entries as (kind, title, the whole line's text)."""
    found = re.findall(r'<li class="entry kind-([a-z]+)"[^>]*>(.*?)</li>', html, re.S)
    return [
        (
            kind,
            re.findall(r'<span class="what">(.*?)</span>', text)[0],
            re.sub(r"<[^>]+>", "", text),
        )
        for kind, text in found
    ]


def test_a_spec_run_made_by_the_app_reads_back_on_its_page(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """Session and signed link both open the page: every stage in order, the model calls with
    tokens and cost, the pull request's link, the chart's lanes, the gate's verdict, a cost
    equal to the run row's; the link opens neither the list nor the review run."""
    with start(tmp_path, app_key_pem, implement_script(), link_runs=True) as stack:
        pull = spec_to_review(stack)
        settle(stack)
        base = stack.app_url
        session = {"Authorization": f"Bearer {stack.dashboard_secret}", "Accept": "text/html"}
        [row] = stack.engine.index.page(RunQuery(flow="spec")).rows
        [review] = stack.engine.index.page(RunQuery(flow="review")).rows
        path = f"/runs/{quote(row.run_id, safe='')}"

        listed = httpx.get(f"{base}/runs?format=json", headers=session).json()["runs"]
        spec = next(item for item in listed if item["run_id"] == row.run_id)
        assert spec["url"] == f"{stack.hub.url}/{REPO}/issues/{row.number}"
        assert spec["state"] == "succeeded" and spec["href"] == path

        page = httpx.get(base + path, headers=session)
        assert page.status_code == 200
        html = page.text
        assert_inert(html)
        entries = _entries(html)
        finished = [
            title.split()[1]
            for kind, title, _ in entries
            if kind == "stage" and "finished" in title
        ]
        assert finished == ["gate", "plan", "implement", "test", "publish"]
        calls = [text for kind, _, text in entries if kind == "model"]
        assert calls and all(re.search(r"[\d,]+ in / [\d,]+ out · \$\d+\.\d{4}", c) for c in calls)
        links = [attrs.get("href") for tag, attrs in tags_of(html) if tag == "a"]
        assert pull.html_url in links
        cost = html.split('<dd id="cost">', 1)[1].split("</dd>", 1)[0]
        assert cost.startswith(f"${row.cost_usd:.4f}") and row.cost_usd > 0
        verdict = html.split('<h2 id="gate-h">', 1)[1].split("</section>", 1)[0]
        assert "<td>gate</td>" in verdict and "<td>publish</td>" in verdict
        # The output has no stage seconds: the event log's stage.finished events give them.
        took = re.search(r'<td>test</td><td>done</td><td class="num">(\d+\.\d)</td>', verdict)
        assert took is not None and float(took.group(1)) > 0
        assert "SPECBOT_DASHBOARD_SHOW_CONTENT" in html  # content is hidden by default

        figures = httpx.get(f"{base}{path}?format=json", headers=session).json()
        for table in ("cost_by_role", "cost_by_model"):
            spent = sum(usd for _, _, _, usd in figures[table].values())
            assert spent == pytest.approx(row.cost_usd, rel=1e-6), table
        assert sum(int(v[0]) for v in figures["cost_by_role"].values()) == row.model_calls

        svg = httpx.get(f"{base}{path}/timeline.svg", headers=session).text
        root = ElementTree.fromstring(svg)
        lanes = [e.text or "" for e in root.iter(f"{SVG}text") if e.get("class") == "lane"]
        assert [lane for lane in lanes if lane.startswith("stage: ")] == [
            f"stage: {name}" for name in ("gate", "plan", "implement", "test", "publish")
        ]
        assert [lane for lane in lanes if lane.startswith("agent: ")]

        assert row.number is not None
        [comment] = tracking_comments(stack, row.number)
        [link] = re.findall(r"\[run page\]\(([^)]+)\)", comment["body"])
        assert link.startswith(f"{base}{path}?sig=")
        signed = httpx.get(link)  # no session
        assert signed.status_code == 200 and "<h1>specbot run" in signed.text
        assert f"${row.cost_usd:.4f}" in signed.text
        engine_view = httpx.get(f"{link}&format=json").json()
        assert engine_view["run_id"] == row.run_id and engine_view["status"] == "SUCCESS"
        assert engine_view["steps"] and engine_view["output"]["stages"][-1]["name"] == "publish"
        sig = link.split("?sig=", 1)[1]
        browser = {"Accept": "text/html"}
        assert httpx.get(f"{base}/runs?sig={sig}", headers=browser).status_code in (303, 401)
        other = f"{base}/runs/{quote(review.run_id, safe='')}?sig={sig}"
        assert httpx.get(other).status_code == 404
