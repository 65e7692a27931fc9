"""``specbot lint``: the spec-quality gate on files, folders or standard input."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import RenderableType

    from bot.spec import Verdict

STDIN = "-"
EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_USAGE = 2


class OutputFormat(StrEnum):
    """How verdicts are printed."""

    text = "text"
    json = "json"
    markdown = "markdown"


def _fail(message: str) -> NoReturn:
    typer.echo(f"specbot lint: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _decode(data: bytes, name: str) -> str:
    # A NUL byte never occurs in text: an image or an archive named *.md is not a spec.
    nul = data.find(b"\x00")
    if nul >= 0:
        _fail(f"{name}: a binary file, not text (a NUL byte at offset {nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})")


def _read_file(path: Path) -> str:
    try:
        return _decode(path.read_bytes(), str(path))
    except PermissionError:
        _fail(f"{path}: permission denied")
    except OSError as exc:
        _fail(f"{path}: cannot read ({exc.strerror or exc})")


def collect_inputs(paths: list[str]) -> list[tuple[str, str]]:
    """(name, text) per spec: files as given, folders' *.md sorted, '-' for stdin."""
    if paths.count(STDIN) > 1:
        _fail("standard input (-) can be read only once")
    inputs: list[tuple[str, str]] = []
    for raw in paths:
        if raw == STDIN:
            inputs.append((STDIN, _decode(sys.stdin.buffer.read(), "standard input")))
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.md") if p.is_file())
            if not found:
                _fail(f"{raw}: no *.md files in this folder")
            inputs.extend((str(p), _read_file(p)) for p in found)
        elif path.exists():
            inputs.append((raw, _read_file(path)))
        else:
            _fail(f"{raw}: no such file or folder")
    return inputs


def lint_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH", help="Spec files, folders (every *.md inside), or - for stdin."
        ),
    ],
    output: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text (terminal), json (contract) or markdown."),
    ] = OutputFormat.text,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="A repository configuration (.github/specbot.yml) whose gate: section applies.",
        ),
    ] = None,
) -> None:
    """Check specs against the spec-quality gate: exit 0 all ready, 1 some not, 2 usage error."""
    from bot.config import ConfigError, load_repo_config
    from bot.spec import GateConfig, lint

    gate = GateConfig()
    if config is not None:
        try:
            gate = load_repo_config(_read_file(config), str(config)).gate
        except ConfigError as exc:
            _fail(str(exc))
    results = [(name, lint(text, gate)) for name, text in collect_inputs(paths)]
    _print(results, output)
    raise typer.Exit(EXIT_READY if all(v.ready for _, v in results) else EXIT_NOT_READY)


def _fit_header(rendered: RenderableType, width: int) -> RenderableType:
    """The verdict's header line, broken before its scores when it is wider than the terminal
    (rather than wrapped mid-way by the terminal or the renderer)."""
    from rich.console import Group
    from rich.text import Text

    if not isinstance(rendered, Group) or not rendered.renderables:
        return rendered
    header = rendered.renderables[0]
    at = header.plain.find("  score ") if isinstance(header, Text) else -1
    if not isinstance(header, Text) or header.cell_len <= width or at < 0:
        return rendered
    verdict, scores = header.divide([at])  # each part keeps its styles
    return Group(verdict, scores, *rendered.renderables[1:])


def _print(verdicts: list[tuple[str, Verdict]], output: OutputFormat) -> None:
    from bot.spec import (
        code_span,
        render_json,
        render_json_many,
        render_markdown,
        render_summary,
        render_text,
    )

    several = len(verdicts) > 1
    if output is OutputFormat.json:
        typer.echo(render_json_many(verdicts) if several else render_json(verdicts[0][1]))
        return
    if output is OutputFormat.markdown:
        if not several:
            typer.echo(render_markdown(verdicts[0][1]))
            return
        for name, verdict in verdicts:
            typer.echo(render_markdown(verdict, title=f"Spec check of {code_span(name)}"))
            typer.echo()
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped or redirected output has no width to fit: 100 columns keep the table unwrapped.
        console.width = 100
    for name, verdict in verdicts:
        rendered = render_text(verdict, source="<stdin>" if name == STDIN else name)
        console.print(_fit_header(rendered, console.width))
        if several:
            console.print()
    if several:
        console.print(render_summary(verdicts))
