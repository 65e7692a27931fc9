"""Live progress on a terminal: a command's ``Board`` drawn by rich a few times a second.

Only on a terminal (and not ``TERM=dumb``); pipes and CI get the plain lines of ``Progress``.
``NO_COLOR`` turns the colours off, not the display. Everything drawn is a ``Text`` made from
the board's plain strings, never markup: an agent's tool input saying ``[link=...]`` or
holding escape sequences is shown as those characters.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

import typer
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from bot.local import AgentView, Board, BoardView, Progress, StageView, plain

REFRESH_PER_SECOND = 4
_MARKS = {
    "ok": ("✓", "green"),
    "failed": ("✗", "red"),
    "waiting": ("·", "dim"),
    "not run": ("–", "dim"),
}


def wants_live(stream: TextIO) -> bool:
    """Whether progress written to ``stream`` is drawn live: a terminal that moves its cursor."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # no file behind it, or a closed one
        return False
    return terminal and os.environ.get("TERM", "") != "dumb"


def terminal_console(stream: TextIO) -> Console:
    """A console for a terminal ``stream``: no markup, emoji codes or highlighting of text."""
    return Console(file=stream, force_terminal=True, markup=False, emoji=False, highlight=False)


def render(view: BoardView, spinner: Spinner | None = None) -> RenderableType:
    """The board: its title, the stages, the agents at work, what else runs, and the cost."""
    parts: list[RenderableType] = [_line(view.title, "bold")]
    width = max((len(stage.name) for stage in view.stages), default=0)
    parts.extend(_stage_line(stage, width, spinner) for stage in view.stages)
    if view.work:
        parts.append(_line("at work in the App:", "bold"))
        parts.extend(_line(f"  {line}") for line in view.work)
    if view.agents:
        parts.append(_line("agents at work:", "bold"))
        parts.extend(_agent_line(agent) for agent in view.agents)
    parts.append(_usage_line(view))
    return Group(*parts)


def _line(text: str, style: str = "") -> Text:
    """One line of plain text, cut at the terminal's edge (names and times come first)."""
    return Text(plain(text), style=style, no_wrap=True, overflow="ellipsis")


def _stage_line(stage: StageView, width: int, spinner: Spinner | None) -> Text:
    line = _line("")
    if stage.state == "running":
        frame = spinner.render(time.monotonic()) if spinner is not None else "…"
        line.append_text(frame if isinstance(frame, Text) else Text(str(frame), style="cyan"))
        name_style, detail_style = "bold", ""
    else:
        symbol, style = _MARKS[stage.state]
        line.append(symbol, style=style)
        quiet = stage.state in ("waiting", "not run")
        name_style = "dim" if quiet else ""
        detail_style = "red" if stage.state == "failed" else "dim"
    seconds = stage.state if stage.seconds is None else f"{stage.seconds:.1f} s"
    line.append(f" {plain(stage.name).ljust(width)} ", style=name_style)
    line.append(f"{seconds:>8} ", style="dim")
    line.append(plain(stage.detail), style=detail_style)
    return line


def _agent_line(agent: AgentView) -> Text:
    role = f" ({plain(agent.role, 30)})" if agent.role and agent.role != agent.name else ""
    turns = f"turn {agent.turns}, " if agent.turns else ""
    line = Text("  ", no_wrap=True, overflow="ellipsis")
    line.append(plain(f"{agent.name}{role}"), style="bold")
    line.append(plain(f" {turns}{agent.seconds:.0f} s › {agent.doing}"))
    return line


def _usage_line(view: BoardView) -> Text:
    if view.model_calls:
        spent = (
            f"model: {view.model_calls} call(s) · {view.input_tokens:,} tokens in / "
            f"{view.output_tokens:,} out · ${view.cost_usd:.4f}"
        )
    else:
        spent = "model: no call yet" if not view.final else "model: no call"
    done = f" · {view.agents_done} agent(s) done" if view.agents_done else ""
    return _line(f"{spent}{done} · {view.seconds:.1f} s", "dim" if not view.final else "")


class LiveProgress:
    """Draws a ``Board`` on a terminal until stopped, then leaves its last state (or nothing,
    when ``transient``) above what the command prints next."""

    def __init__(self, board: Board, console: Console, *, transient: bool = False) -> None:
        self.board = board
        self.console = console
        self._spinner = Spinner("dots", style="cyan")
        # Only the display's own stream is redirected above it: the other may be a pipe.
        on_stdout = console.file is sys.stdout
        self._live = Live(
            console=console,
            get_renderable=self._renderable,
            refresh_per_second=REFRESH_PER_SECOND,
            transient=transient,
            redirect_stdout=on_stdout,
            redirect_stderr=not on_stdout,
        )
        self._stopped = False

    def _renderable(self) -> RenderableType:
        try:
            return render(self.board.view(), self._spinner)
        except Exception as exc:  # drawing must never stop the command
            return Text(plain(f"(progress cannot be shown: {type(exc).__name__})"), style="dim")

    def note(self, line: str) -> None:
        """Print a line above the display (a long one wraps rather than being cut: links)."""
        for part in line.splitlines() or [""]:
            self.console.print(Text(plain(part, 10_000)), soft_wrap=True)

    def start(self) -> None:
        """Start drawing."""
        self._live.start(refresh=True)
        # A Ctrl-C ends the process at once (``bot.cli._interrupt``): with the cursor hidden
        # the person's shell would be left without one.
        self.console.show_cursor(True)

    def stop(self) -> None:
        """Draw the final state once and stop (again: nothing)."""
        if self._stopped:
            return
        self._stopped = True
        self.board.finish()
        self._live.stop()

    def __enter__(self) -> LiveProgress:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


class CommandProgress:
    """A local command's progress: a live board on a terminal standard error, else the
    plain lines of today. Enter it around the work; ``progress`` exists before that (a
    ``Team`` reports its agents' events to it)."""

    def __init__(self, title: str, planned: Sequence[str]) -> None:
        self.live: LiveProgress | None = None
        if wants_live(sys.stderr):
            board = Board(title, planned)
            self.live = LiveProgress(board, terminal_console(sys.stderr))
            self.progress = Progress(self.live.note, board=board)
        else:
            self.progress = Progress(lambda line: typer.echo(line, err=True))

    def __enter__(self) -> Progress:
        if self.live is not None:
            self.live.start()
        return self.progress

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()
