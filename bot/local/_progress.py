"""Progress of a command: a line when each stage starts and ends, and what agents do.

Without a terminal, ``Progress`` prints those lines. On a terminal the command gives it a
``Board`` instead: the stages, the agents at work and what was spent so far, kept for a live
display to draw (``bot.cli._live``). Everything on the board came from a model or a
repository at some point, so it is stored as plain printable text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Write = Callable[[str], None]
StageStatus = Literal["ok", "failed"]
StageState = Literal["waiting", "running", "ok", "failed", "not run"]
_SHOWN_CHARS = 100
_BOARD_CHARS = 300  # a line of the board: the display cuts it to the terminal's width
_LINE_CHARS = 2000  # a plain line (a failed stage's reason can be long)


class StageRecord(BaseModel):
    """One stage of a run: its name, how it ended, its duration and a note."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: StageStatus
    seconds: float
    detail: str = ""


class StageFailed(Exception):
    """Raised inside ``Progress.stage`` to end the stage as failed with a reason."""


def plain(text: object, limit: int = _BOARD_CHARS) -> str:
    """``text`` as one printable line of at most ``limit`` characters.

    Control characters (escape sequences, carriage returns, bidirectional overrides) from a
    model or a file must not drive the terminal: each becomes a space.
    """
    clean = "".join(char if char.isprintable() else " " for char in str(text))
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


@dataclass(frozen=True)
class StageView:
    """One stage as the display shows it: seconds so far while it runs, None while waiting."""

    name: str
    state: StageState
    seconds: float | None
    detail: str


@dataclass(frozen=True)
class AgentView:
    """One agent at work: its role, its last tool call (or what it waits for), its turns."""

    name: str
    role: str
    doing: str
    turns: int
    seconds: float


@dataclass(frozen=True)
class BoardView:
    """A consistent copy of the board for one drawing."""

    title: str
    stages: tuple[StageView, ...]
    agents: tuple[AgentView, ...]
    work: tuple[str, ...]
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    seconds: float
    agents_done: int
    final: bool


@dataclass
class _Stage:
    name: str
    what: str
    state: StageState = "waiting"
    began: float = 0.0
    seconds: float | None = None
    detail: str = ""


@dataclass
class _Agent:
    name: str
    role: str
    began: float
    doing: str = "asking the model"
    turns: int = 0


@dataclass
class _Usage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class Board:
    """What a live display shows, updated from any thread (reviewers run in parallel).

    ``usage_from_events``: count tokens and cost from the agents' ``model.response`` events
    (a local command); the demo sets its own totals with ``set_usage`` instead.
    """

    def __init__(
        self,
        title: str,
        planned: Iterable[str] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
        usage_from_events: bool = True,
    ) -> None:
        self._clock = clock
        self._began = clock()
        self._lock = threading.Lock()
        self._title = plain(title)
        self._stages: list[_Stage] = []
        self._agents: dict[tuple[str, str], _Agent] = {}
        self._agents_done = 0
        self._usage = _Usage()
        self._count_events = usage_from_events
        self._work: tuple[str, ...] = ()
        self._final = False
        self.plan(planned)

    def plan(self, names: Iterable[str], what: Callable[[str], str] = lambda _name: "") -> None:
        """Add stages still to come (``what`` says what each will do)."""
        with self._lock:
            for name in names:
                self._stages.append(_Stage(plain(name), plain(what(name))))

    def stage_started(self, name: str, what: str = "") -> None:
        """A stage began: the first waiting one of that name, else a new one at the end."""
        name = plain(name)
        with self._lock:
            stage = next((s for s in self._stages if s.name == name and s.state == "waiting"), None)
            if stage is None:
                stage = _Stage(name, "")
                self._stages.append(stage)
            stage.state, stage.began = "running", self._clock()
            stage.what = plain(what) or stage.what

    def stage_ended(self, name: str, status: StageStatus, seconds: float, detail: str) -> None:
        """A running stage ended after ``seconds``, with its note or failure reason."""
        name = plain(name)
        with self._lock:
            stage = next((s for s in self._stages if s.name == name and s.state == "running"), None)
            if stage is not None:
                stage.state, stage.seconds, stage.detail = status, seconds, plain(detail)

    def set_usage(self, calls: int, input_tokens: int, output_tokens: int, cost: float) -> None:
        """The model calls, tokens and cost so far, counted elsewhere."""
        with self._lock:
            self._usage = _Usage(calls, input_tokens, output_tokens, cost)

    def set_work(self, lines: Iterable[str]) -> None:
        """Lines saying what else is at work now (the demo: the App's runs and their stage)."""
        with self._lock:
            self._work = tuple(plain(line) for line in lines)

    def on_agent_event(self, event_type: str, payload: dict[str, Any], scope: str = "") -> None:
        """An agent's event (``bot.agents`` names); ``scope`` tells apart agents of one name
        working for different runs. A malformed event is ignored: the display must never stop
        the agent reporting it."""
        try:
            with self._lock:
                self._agent_event(event_type, payload, scope)
        except Exception:  # the board is for people; the agent goes on
            return

    def _agent_event(self, event_type: str, payload: dict[str, Any], scope: str) -> None:
        name = plain(payload.get("agent", "?"), _SHOWN_CHARS)
        key = (scope, name)
        if event_type == "agent.started":
            role = plain(payload.get("role", ""), _SHOWN_CHARS)
            self._agents[key] = _Agent(name, role, self._clock())
            return
        if event_type == "agent.finished":
            if self._agents.pop(key, None) is not None:
                self._agents_done += 1
            return
        if event_type == "model.response" and self._count_events:
            self._count(payload)
        agent = self._agents.get(key)
        if agent is None:
            return
        if event_type == "model.response":
            agent.turns = max(agent.turns, int(_number(payload.get("turn"))))
        elif event_type == "tool.call":
            agent.doing = describe_tool_call(payload)
        elif event_type == "model.retry":
            delay = _number(payload.get("delay_seconds"))
            status = plain(payload.get("status", ""), 20)
            agent.doing = f"the model is busy ({status}): retrying in {delay:.0f} s"

    def _count(self, payload: dict[str, Any]) -> None:
        given = payload.get("usage")
        usage: dict[str, Any] = given if isinstance(given, dict) else {}
        self._usage.calls += 1
        self._usage.input_tokens += sum(
            int(_number(usage.get(key)))
            for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
        )
        self._usage.output_tokens += int(_number(usage.get("output_tokens")))
        self._usage.cost_usd += _number(payload.get("cost_usd"))

    def keep_agents(self, scopes: set[str]) -> None:
        """Forget the agents of every other scope (their run ended, or was cancelled before
        they could say they finished)."""
        with self._lock:
            for key in [key for key in self._agents if key[0] not in scopes]:
                del self._agents[key]

    def finish(self) -> None:
        """The command is over: nothing runs any more, stages never started were not run."""
        with self._lock:
            self._final = True
            self._agents.clear()
            self._work = ()
            for stage in self._stages:
                if stage.state == "waiting":
                    stage.state = "not run"

    def view(self) -> BoardView:
        """A copy of everything on the board now."""
        with self._lock:
            now = self._clock()
            return BoardView(
                title=self._title,
                stages=tuple(self._stage_view(stage, now) for stage in self._stages),
                agents=tuple(
                    AgentView(a.name, a.role, a.doing, a.turns, now - a.began)
                    for a in self._agents.values()
                ),
                work=self._work,
                model_calls=self._usage.calls,
                input_tokens=self._usage.input_tokens,
                output_tokens=self._usage.output_tokens,
                cost_usd=self._usage.cost_usd,
                seconds=now - self._began,
                agents_done=self._agents_done,
                final=self._final,
            )

    @staticmethod
    def _stage_view(stage: _Stage, now: float) -> StageView:
        if stage.state == "running":
            return StageView(stage.name, "running", now - stage.began, stage.what)
        if stage.state in ("ok", "failed"):
            return StageView(stage.name, stage.state, stage.seconds, stage.detail)
        return StageView(stage.name, stage.state, None, stage.what)


class Progress:
    """Prints stage lines through ``write`` and keeps a record of every stage.

    With a ``board`` (a terminal's live display) stages and agents go to the board instead of
    lines; ``say`` still writes.
    """

    def __init__(
        self,
        write: Write,
        clock: Callable[[], float] = time.monotonic,
        *,
        board: Board | None = None,
    ) -> None:
        self._write = write
        self._clock = clock
        self._lock = threading.Lock()
        self.board = board
        self.stages: list[StageRecord] = []

    def say(self, line: str) -> None:
        """Print one line (thread-safe: reviewers report from several threads)."""
        with self._lock:
            self._write(line)

    @contextmanager
    def stage(self, name: str, what: str) -> Iterator[list[str]]:
        """Time one stage; the yielded list takes a note shown when it ends.

        An exception ends the stage as failed (with the exception's text) and propagates.
        """
        if self.board is not None:
            self.board.stage_started(name, what)
        else:
            self.say(f"… {name}: {plain(what, _LINE_CHARS)}")
        began = self._clock()
        notes: list[str] = []
        try:
            yield notes
        except BaseException as exc:
            self._end(name, "failed", began, str(exc) or type(exc).__name__)
            raise
        self._end(name, "ok", began, "; ".join(notes))

    def _end(self, name: str, status: StageStatus, began: float, detail: str) -> None:
        seconds = self._clock() - began
        if self.board is not None:
            self.board.stage_ended(name, status, seconds, detail)
        else:
            mark = "✓" if status == "ok" else "✗"
            tail = f": {plain(detail, _LINE_CHARS)}" if detail else ""
            self.say(f"{mark} {name} ({seconds:.1f} s){tail}")
        self.stages.append(StageRecord(name=name, status=status, seconds=seconds, detail=detail))

    def on_agent_event(self, event_type: str, payload: dict[str, Any]) -> None:
        """A ``Team`` event hook: the board's agents, else one line per tool an agent calls."""
        if self.board is not None:
            self.board.on_agent_event(event_type, payload)
            return
        if event_type != "tool.call":
            return
        agent = plain(payload.get("agent", "?"), _SHOWN_CHARS)
        self.say(f"    {agent} › {describe_tool_call(payload)}")


def describe_tool_call(payload: dict[str, Any]) -> str:
    """A short human description of one tool call (tool, command, path)."""
    tool = str(payload.get("tool", "?"))
    given = payload.get("input")
    tool_input: dict[str, Any] = given if isinstance(given, dict) else {}
    if tool == "bash":
        command = str(tool_input.get("command", "")).strip().splitlines()
        text = f"bash: {command[0] if command else ''}"
    elif tool == "str_replace_based_edit_tool":
        text = f"{tool_input.get('command', '?')} {tool_input.get('path', '')}".strip()
    else:
        text = tool
    # Control characters from a model must not drive the terminal.
    return plain(text, _SHOWN_CHARS)
