"""``specbot demo --open`` on a terminal: live progress while the loop runs, then where the
demo's runs are on the run dashboard, opened in the person's browser."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from bot.offline import WEBHOOK_SECRET
from bot.run_links import verify_run_signature
from tests.cli.terminal import Terminal

pytestmark = pytest.mark.slow


def _browser(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in browser (``BROWSER`` names it) that writes down the URL it is given."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n', encoding="utf-8")
    browser.chmod(0o755)
    return browser, opened


def test_demo_open_shows_progress_then_the_runs_on_the_dashboard(tmp_path: Path) -> None:
    """While the loop runs the terminal shows the steps to come, the App's runs and agents at
    work and the cost so far; then one block names /runs, its throwaway sign-in secret and a
    signed link for each run (each verifies and answers), and the browser gets /runs; Ctrl-C
    stops the servers and exits 0."""
    browser, opened = _browser(tmp_path)
    with Terminal("demo", "--open", env={"BROWSER": str(browser)}) as terminal:
        terminal.read_until("Ctrl-C stops them", timeout=400)
        shown = terminal.read_until("in your browser.", timeout=60)
        block = shown[shown.index("The demo's runs on specbot's run dashboard") :]
        links = dict(re.findall(r"^    (\S.*?): +(http://\S+)$", block, re.M))
        for url in links.values():  # while the App still runs
            assert httpx.get(url, timeout=30).status_code == 200, url
        terminal.interrupt()
        code = terminal.wait(timeout=90)
        raw = terminal.raw
    assert code == 0, shown[-3000:]
    # The live display, drawn while the loop ran (it goes at the end).
    assert "specbot demo: the App at work" in shown
    assert re.search(r"· review 2 +waiting The review of the follow-up commit", shown)
    assert "at work in the App:" in shown and "agents at work:" in shown
    assert re.search(r"model: \d+ call\(s\) · [\d,]+ tokens in / [\d,]+ out · \$0\.\d{4}", shown)
    assert "12 of 12 steps in " in shown and "Every step happened." in shown
    dashboard = re.search(r"^  (http://127\.0\.0\.1:\d+)/runs$", block, re.M)
    assert dashboard is not None
    secret = re.search(r"^  sign-in secret: ([0-9a-f]{32}) \(made for this local demo", block, re.M)
    assert secret is not None
    assert {"spec #1", "spec #2", "review #3"} <= {label.split(" (")[0] for label in links}
    for url in links.values():
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == dashboard.group(1)
        run_id = unquote(parts.path.removeprefix("/runs/"))
        assert verify_run_signature(WEBHOOK_SECRET, run_id, parse_qs(parts.query)["sig"][0])
    assert opened.read_text(encoding="utf-8").split() == [f"{dashboard.group(1)}/runs"]
    assert "specbot demo: stopped localhub and the App." in raw
