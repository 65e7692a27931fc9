"""No process an agent started outlives it: when the agent ends, fails or its run is cancelled.

The scripted model has the implementer start three processes built to survive (``setsid``,
``nohup`` and a double fork), then end its turn, fail or meet a cancelled run; the host's
process table is counted afterwards.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.agents import ModelRequest, ModelResponse, PermanentModelError, ResilientModel
from bot.work import Team, WorkError
from tests.agents.conftest import MODEL, Sleeps, Stack, StartModel
from tests.processes import new_marker, settled_count, survivors_command
from tests.sandboxes import needs_sandbox

pytestmark = needs_sandbox


def script(marker: str, *, ends: bool) -> dict[str, Any]:
    """Turn 0 starts the survivors; turn 1 (when ``ends``) finishes the agent's work."""
    turns: list[dict[str, Any]] = [
        {
            "when": {"role": "implementer", "turn": 0},
            "reply": [
                {"tool_use": {"name": "bash", "input": {"command": survivors_command(marker)}}}
            ],
        }
    ]
    if ends:
        turns.append({"when": {"role": "implementer", "turn": 1}, "reply": [{"text": "Done."}]})
    return {"turns": turns}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


class Watching:
    """A model call that, from the second call on, first waits for the three survivors to be
    running (the tool call has returned) and records how many there are."""

    def __init__(self, server_url: str, anthropic_model: Stack, marker: str, *, cancel: bool):
        self.model = ResilientModel(anthropic_model(server_url), sleep=Sleeps())
        self.marker = marker
        self.cancel = cancel  # as the App's check says once the run was cancelled
        self.running: list[int] = []

    def __call__(self, request: ModelRequest) -> ModelResponse:
        self.running.append(settled_count(self.marker, 3) if self.running else 0)
        if self.cancel and len(self.running) > 1:
            raise WorkError("the run was cancelled")
        return self.model.complete(request)


def test_the_agents_processes_die_when_it_ends(
    start_model: StartModel, anthropic_model: Stack, checkout: Path
):
    """An agent that finishes normally leaves no process behind."""
    marker = new_marker()
    server = start_model(script(marker, ends=True))
    watching = Watching(server.base_url, anthropic_model, marker, cancel=False)
    outcome = Team(call_model=watching, model_name=MODEL).run("implementer", "Go.", checkout)
    assert outcome.status == "completed", outcome.message
    assert watching.running == [0, 3]
    assert settled_count(marker, 0) == 0


def test_the_agents_processes_die_when_the_model_fails(
    start_model: StartModel, anthropic_model: Stack, checkout: Path
):
    """A model error that ends the run (the script has no next turn: a 400) kills them too."""
    marker = new_marker()
    server = start_model(script(marker, ends=False))
    watching = Watching(server.base_url, anthropic_model, marker, cancel=False)
    with pytest.raises(PermanentModelError):
        Team(call_model=watching, model_name=MODEL).run("implementer", "Go.", checkout)
    assert watching.running == [0, 3]
    assert settled_count(marker, 0) == 0


def test_the_agents_processes_die_when_the_run_is_cancelled(
    start_model: StartModel, anthropic_model: Stack, checkout: Path
):
    """The run is cancelled while the processes run (the next model call says so, as the
    App's cancellation check does): they are killed before the error reaches the stage."""
    marker = new_marker()
    server = start_model(script(marker, ends=True))
    watching = Watching(server.base_url, anthropic_model, marker, cancel=True)
    with pytest.raises(WorkError, match="cancelled"):
        Team(call_model=watching, model_name=MODEL).run("implementer", "Go.", checkout)
    assert watching.running == [0, 3]
    assert settled_count(marker, 0) == 0
