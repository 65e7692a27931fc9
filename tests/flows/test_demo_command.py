"""``specbot demo``, the README's main job, as a user runs it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import RunSpecbot

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
    ):
        assert step in out, step
    counts = re.search(r"11 of 11 steps in [\d.]+ s · GitHub API calls by specbot: (\d+)", out)
    assert counts is not None and int(counts.group(1)) > 20
    assert out.rstrip().endswith("Every step happened.")
    assert "Traceback" not in result.stderr
