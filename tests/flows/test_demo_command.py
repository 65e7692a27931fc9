"""``specbot demo``, the README's main job, as a user runs it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.conftest import ROOT, RunSpecbot

pytestmark = pytest.mark.slow


def test_demo_shows_every_step_and_exits_0(run_specbot: RunSpecbot) -> None:
    """The offline loop prints each step with a link, says the model is scripted, and counts;
    the first thing it shows is the gate refusing a spec that is not ready."""
    result = run_specbot("demo", timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "The model is SCRIPTED" in out
    # First, a spec that is not ready: refused by the gate before any model call.
    refusal = out.index("spec gate: failure (Spec #1 not ready (score ")
    assert "no model call, no pull request; what to add: http://" in out
    assert refusal < out.index("alice opened issue #2") < out.index("spec gate: success")
    for step in (
        "specbot reacted",
        "tracking comment posted: http://",
        "spec gate: success (Spec #2 ready",
        "pull request #3 opened from specbot/issue-2-",
        "review 1 posted with 2 inline comment(s)",
        "check run specbot/review: failure",
        "follow-up commit",
        "reply in the review thread: http://",
        "review 2 posted: http://",
        "check run specbot/review: success",
        "check run specbot/criteria: ",
    ):
        assert step in out, step
    counts = re.search(r"12 of 12 steps in [\d.]+ s · GitHub API calls by specbot: (\d+)", out)
    assert counts is not None and int(counts.group(1)) > 20
    cost = re.search(
        r"tokens: [\d,]+ in / [\d,]+ out · cost \$(\d+\.\d{4}) at the model's prices", out
    )
    assert cost is not None and float(cost.group(1)) > 0
    happened, hint = out.rstrip().splitlines()[-2:]
    assert happened == "Every step happened."
    assert "specbot demo --open" in hint and "run dashboard" in hint
    assert "\x1b" not in out and "\r" not in out  # not a terminal: plain lines
    assert "Traceback" not in result.stderr


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's output lines as they come (None at the end)."""
    found: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            found.put(line.rstrip("\n"))
        found.put(None)

    threading.Thread(target=read, daemon=True).start()
    return found


def _until(lines: queue.Queue[str | None], marker: str, seen: list[str]) -> None:
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
        assert line is not None, "\n".join(seen)
        seen.append(line)
        if marker in line:
            return
    raise AssertionError("\n".join(seen))


def test_demo_serve_keeps_the_pages_up_until_ctrl_c() -> None:
    """``--serve``: after the loop the printed pages answer, and Ctrl-C ends it with one line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "120"}
    command = [sys.executable, "-m", "bot", "demo", "--serve"]
    seen: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    ) as process:
        try:
            lines = _lines(process)
            _until(lines, "Ctrl-C stops them", seen)
            _until(lines, "API:", seen)
            links = _check_links(seen)
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
            rest = [line for line in iter(lines.get, None) if line.strip()]
            assert process.stderr is not None
            err = process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, "\n".join(seen + rest) + err
    assert rest == ["specbot demo: stopped localhub and the App."], rest
    assert "Traceback" not in err
    with pytest.raises(httpx.TransportError):
        httpx.get(links["repository"], timeout=5)


def _check_links(seen: list[str]) -> dict[str, str]:
    """Every page the demo printed answers with HTML showing what it is about."""
    links = dict(re.findall(r"^  ([a-z ]+): +(http://\S+)", "\n".join(seen), re.M))
    assert {"repository", "issue", "pull request", "diff and review comments"} <= set(links)
    for url in links.values():
        page = httpx.get(url)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="issuecomment-' in httpx.get(links["issue"]).text  # the tracking comment
    assert 'id="pullrequestreview-' in httpx.get(links["pull request"]).text
    # the review's inline comments, on their lines of the diff
    assert 'id="discussion_r' in httpx.get(links["diff and review comments"]).text
    return links
