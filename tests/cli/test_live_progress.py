"""Live progress of ``specbot run`` and ``specbot review`` on a terminal, plain lines elsewhere,
and model text that stays text: no escape sequence, markup or carriage return of a model's
reaches the terminal as one."""

from __future__ import annotations

import dataclasses
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from bot.cli._live import LiveProgress, render, wants_live
from bot.local import Progress, team_from_settings
from bot.local._progress import Board
from bot.scripted import ScriptedModelServer, start_scripted_model
from bot.settings import Settings
from bot.work import SpecText, plan_work
from tests.cli.local_repos import API_KEY, DATA, SPEC, SUBTRACT, git, make_calc_repo, model_env
from tests.cli.terminal import COLUMNS, Terminal, visible
from tests.conftest import RunSpecbot
from tests.sandboxes import needs_sandbox

# What a model could write to take over a terminal: a colour, an OSC 8 hyperlink, a carriage
# return that overwrites the line, a bidirectional override, and rich markup.
CSI = "\x1b[38;5;196m"
OSC = "\x1b]8;;http://evil.example/\x07"
MARKUP = "[bold red]MARKUP[/bold red]"
LINK_MARKUP = "[link=http://evil.example/]LINK[/link]"
HOSTILE = f"{CSI}HOSTILE-RED {MARKUP} {OSC}OSC\rCR-MARK\u202eBIDI"
HOSTILE_COMMAND = f"echo '{LINK_MARKUP} {CSI}TOOL-RED' " + "z" * 300


def assert_inert(raw: str) -> None:
    """The hostile text was shown as characters: none of its controls or markup took effect."""
    assert CSI not in raw
    assert "\x1b]" not in raw  # no OSC at all: rich writes none, the model's was defused
    assert "\rCR-MARK" not in raw and "\u202e" not in raw
    shown = visible(raw)
    assert "\x1b" not in shown  # every escape left is one of the display's own CSI
    assert MARKUP in shown or LINK_MARKUP in shown


def hostile_run_script() -> dict[str, Any]:
    """The run script with a hostile plan summary and a hostile shell command; the model takes
    a while over the turn after that command, so the display shows it."""
    script = yaml.safe_load((DATA / "run-script.yaml").read_text(encoding="utf-8"))
    planner, edits, tests_turn, done = script["turns"]
    planner["reply"][0]["tool_use"]["input"]["summary"] = f"Plan {HOSTILE}"
    edits["reply"] = edits["reply"][:3]  # the two edits, not the workflow file
    hostile = {
        "when": {"role": "Role: implementer", "turn": 1},
        "reply": [{"tool_use": {"name": "bash", "input": {"command": HOSTILE_COMMAND}}}],
    }
    tests_turn["when"]["turn"], tests_turn["latency"] = 2, 1.5
    done["when"]["turn"] = 3
    return {"turns": [planner, edits, hostile, tests_turn, done]}


@pytest.fixture
def hostile_model() -> Iterator[ScriptedModelServer]:
    """A planner and an implementer whose words and commands are hostile to terminals."""
    server = start_scripted_model(hostile_run_script())
    yield server
    server.stop()


def last_frame(shown: str, title: str, end: str) -> str:
    """The display's last drawing: from its last title to the line after it (``end``)."""
    start = shown.rindex(title)
    return shown[start : shown.index(end, start)]


@needs_sandbox
def test_run_on_a_terminal_shows_stages_agents_and_cost_live(
    tmp_path: Path, hostile_model: ScriptedModelServer
) -> None:
    """On a terminal: stages waiting, running and done with durations, the agent at work with
    its last tool call, tokens and cost, and at the end the stages done and the cost above
    the report; the model's escape sequences, markup and carriage returns stay inert."""
    repo = make_calc_repo(tmp_path)
    env = model_env(tmp_path / "data", hostile_model)
    with Terminal("run", str(SPEC), "--repo", str(repo), env=env) as terminal:
        code = terminal.wait(timeout=180)
        raw = terminal.raw
    shown = visible(raw)
    assert code == 0, shown[-3000:]
    assert "· commit     waiting" in shown  # before it ran
    assert "agents at work:" in shown
    # the implementer's last tool call while the model thinks over the next turn
    doing = [line for line in shown.splitlines() if "implementer" in line and "TOOL-RED" in line]
    assert doing and f"bash: echo '{LINK_MARKUP}  [38;5;196mTOOL-RED" in doing[0]
    final = last_frame(shown, "specbot run: Subtract two numbers", "specbot run subtract-spec.md")
    for stage in ("checkout", "setup", "plan", "implement", "guard", "test", "criteria", "commit"):
        assert re.search(rf"✓ {stage} +\d+\.\d s", final), (stage, final)
    assert re.search(r"model: 5 call\(s\) · [\d,]+ tokens in / [\d,]+ out · \$0\.\d{4}", final)
    assert "agents at work" not in final
    assert "done: committed, tests passed" in shown[shown.rindex("specbot run subtract") :]
    # Long lines are cut at the terminal's edge, not wrapped over the display.
    long_lines = [line for line in shown.splitlines() if "TOOL-RED" in line or "step(s):" in line]
    assert long_lines and all(len(line) <= COLUMNS for line in long_lines)
    assert "\x1b[32m✓" in raw  # colours: NO_COLOR is not set
    assert_inert(raw)
    assert f"1 step(s): Plan  [38;5;196mHOSTILE-RED {MARKUP}" in shown


@needs_sandbox
def test_run_without_a_terminal_prints_plain_lines(
    run_specbot: RunSpecbot, tmp_path: Path, hostile_model: ScriptedModelServer
) -> None:
    """Piped: today's lines, one per stage and tool call, without one escape sequence or
    carriage return, the model's included."""
    repo = make_calc_repo(tmp_path)
    env = model_env(tmp_path / "data", hostile_model)
    result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env, timeout=180)
    assert result.returncode == 0, result.stderr + result.stdout
    for stage in ("checkout", "setup", "plan", "implement", "guard", "test", "criteria", "commit"):
        assert f"\n✓ {stage} (" in result.stderr
    assert f"    implementer › bash: echo '{LINK_MARKUP}  [38;5;196mTOOL-RED' zz" in result.stderr
    assert f"Plan  [38;5;196mHOSTILE-RED {MARKUP}  ]8;;" in result.stderr
    for output in (result.stdout, result.stderr):
        assert "\x1b" not in output and "\r" not in output and "\u202e" not in output
    assert "agents at work" not in result.stderr


def test_review_on_a_terminal_shows_the_reviewers_at_work(tmp_path: Path) -> None:
    """``specbot review`` on a terminal with NO_COLOR: the live display without colours, the
    reviewers at work side by side, then the stages done and the cost above the review."""
    repo = make_calc_repo(tmp_path)
    git(repo, "checkout", "--quiet", "-b", "feature")
    with (repo / "calc" / "ops.py").open("a", encoding="utf-8") as ops:
        ops.write(SUBTRACT)
    git(repo, "commit", "--quiet", "--all", "-m", "calc: subtract")
    script = yaml.safe_load((DATA / "review-script.yaml").read_text(encoding="utf-8"))
    for turn in script["turns"]:
        turn["latency"] = 1.0  # each reviewer thinks a while: the display catches them
    server = start_scripted_model(script)
    try:
        env = {**model_env(tmp_path / "data", server), "NO_COLOR": "1"}
        arguments = ("--repo", str(repo), "--base", "main", "--no-analysers")
        with Terminal("review", *arguments, "--reviewers", "security,style", env=env) as term:
            code = term.wait(timeout=180)
            raw = term.raw
    finally:
        server.stop()
    shown = visible(raw)
    assert code == 1, shown[-3000:]  # a major finding: changes requested
    assert "agents at work:" in shown
    working = [line for line in shown.splitlines() if line.startswith("  security ")]
    assert working and "asking the model" in working[0]
    final = last_frame(shown, "specbot review: main...HEAD", "specbot review main...HEAD")
    for stage in ("diff", "export", "review"):
        assert re.search(rf"✓ {stage} +\d+\.\d s", final), (stage, final)
    assert re.search(r"model: 2 call\(s\) · [\d,]+ tokens in", final)
    assert "2 agent(s) done" in final
    styles = {params for params in re.findall(r"\x1b\[([0-9;]*)m", raw)}
    assert styles and all(set(p.split(";")) <= {"", "0", "1", "2", "22"} for p in styles)


def test_the_board_follows_a_real_agent_and_ends_with_a_summary(tmp_path: Path) -> None:
    """The board of a real planner run on the scripted model: the agent appears, its tool
    call, the tokens and the cost after each model call; the live display ends with the
    stage done and the totals."""
    repo = make_calc_repo(tmp_path)
    view_path = f"calc/ops.py{CSI}{LINK_MARKUP}"
    script = {
        "turns": [
            {
                "when": {"role": "Role: planner", "turn": 0},
                "reply": [
                    {
                        "tool_use": {
                            "name": "str_replace_based_edit_tool",
                            "input": {"command": "view", "path": view_path},
                        }
                    }
                ],
            },
            yaml.safe_load((DATA / "run-script.yaml").read_text(encoding="utf-8"))["turns"][0],
        ]
    }
    script["turns"][1]["when"]["turn"] = 1
    server = start_scripted_model(script)
    try:
        settings = Settings(
            ANTHROPIC_API_KEY=API_KEY,
            ANTHROPIC_BASE_URL=server.base_url,
            SPECBOT_DATA_DIR=tmp_path / "data",
        )
        board = Board("specbot run: Subtract two numbers", ["plan", "implement"])
        buffer = io.StringIO()
        live = LiveProgress(board, Console(file=buffer, force_terminal=True, width=COLUMNS))
        progress = Progress(live.note, board=board)
        frames: list[str] = []

        def watch(event_type: str, payload: dict[str, Any]) -> None:
            progress.on_agent_event(event_type, payload)
            frame = io.StringIO()
            Console(file=frame, width=COLUMNS, color_system=None).print(render(board.view()))
            frames.append(frame.getvalue())

        team = dataclasses.replace(team_from_settings(settings, progress), on_event=watch)
        spec = SpecText.of(0, "Subtract two numbers", SPEC.read_text(encoding="utf-8"))
        with live, progress.stage("plan", "the planner reads the code") as notes:
            notes.append(f"{len(plan_work(team, repo, spec).steps)} step(s)")
    finally:
        server.stop()
    started, _response, call, *_rest, finished = frames
    assert "agents at work:\n  planner 0 s › asking the model" in started
    assert "model: no call yet" in started
    assert re.search(r"· implement +waiting", started)
    assert "planner turn 1, " in call
    assert f"› view calc/ops.py [38;5;196m{LINK_MARKUP}" in call
    spent = re.search(r"model: 1 call\(s\) · ([\d,]+) tokens in / (\d+) out · \$(\S+)", call)
    assert spent is not None and int(spent.group(1).replace(",", "")) > 0
    assert float(spent.group(3)) > 0
    assert "agents at work" not in finished and "1 agent(s) done" in finished
    final = visible(buffer.getvalue())
    final = final[final.rindex("specbot run: Subtract two numbers") :]
    assert re.search(r"✓ plan +\d+\.\d s 1 step\(s\)", final)
    assert re.search(r"– implement +not run", final)
    assert re.search(r"model: 2 call\(s\) · [\d,]+ tokens in / \d+ out · \$0\.\d{4}", final)
    assert CSI not in buffer.getvalue()


def test_hostile_and_malformed_events_are_drawn_as_plain_text() -> None:
    """Events with control characters, markup, lines longer than the terminal and values of
    the wrong type: drawn as plain text inside the terminal's width, never raising."""
    board = Board(f"specbot run: {HOSTILE}", ["setup", HOSTILE])
    board.stage_started("setup", f"what {HOSTILE} " + "w" * 500)
    board.stage_started(HOSTILE, LINK_MARKUP)
    board.stage_ended(HOSTILE, "failed", 1.5, f"failed: {HOSTILE}\nsecond line")
    agent = f"agent{CSI}{MARKUP}"
    events: list[tuple[str, dict[str, Any]]] = [
        ("agent.started", {"agent": agent, "role": HOSTILE}),
        ("tool.call", {"agent": agent, "tool": "bash", "input": {"command": HOSTILE_COMMAND}}),
        ("model.response", {"agent": agent, "turn": "x", "usage": "lots", "cost_usd": "free"}),
        ("model.response", {"agent": agent, "turn": 2, "usage": {"input_tokens": 10}}),
        ("tool.call", {"agent": agent, "tool": ["not", "a", "name"], "input": [1, 2]}),
        ("model.retry", {"agent": agent, "status": HOSTILE, "delay_seconds": None}),
        ("agent.started", {"agent": None}),
        ("tool.call", {}),
    ]
    for event_type, payload in events:
        board.on_agent_event(event_type, payload)
    width = 60
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, width=width).print(render(board.view()))
    raw = buffer.getvalue()
    assert_inert(raw)
    lines = visible(raw).splitlines()
    assert all(len(line) <= width for line in lines), lines
    wide = io.StringIO()
    Console(file=wide, force_terminal=True, width=1000).print(render(board.view()))
    assert_inert(wide.getvalue())
    shown = visible(wide.getvalue())
    assert "✗ " in shown and "model: 2 call(s) · 10 tokens in / 0 out" in shown
    assert "the model is busy ( [38;5;196mHOSTILE-…): retrying in 0 s" in shown
    assert "None" in shown  # an agent without a name is still listed


def test_live_only_on_a_terminal_that_can_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal: live; TERM=dumb, a pipe, a file or a closed stream: plain lines."""
    primary, secondary = os.openpty()
    read_end, write_end = os.pipe()
    with (
        os.fdopen(secondary, "w") as terminal,
        os.fdopen(write_end, "w") as pipe,
        open(os.devnull, "w") as file,
    ):
        monkeypatch.setenv("TERM", "xterm")
        assert wants_live(terminal)
        assert not wants_live(pipe) and not wants_live(file)
        monkeypatch.setenv("TERM", "dumb")
        assert not wants_live(terminal)
    assert not wants_live(terminal)  # closed
    os.close(primary)
    os.close(read_end)
