"""The verdict for a terminal, as rich renderables (the caller owns the console)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bot.spec._model import Verdict
from bot.spec._render_markdown import PRINCIPLE_NAMES

_STYLES = {"error": "bold red", "warn": "yellow", "info": "dim"}


def _status(verdict: Verdict) -> Text:
    if verdict.ready:
        return Text("ready", style="bold green")
    return Text("not ready", style="bold red")


def render_text(verdict: Verdict, *, source: str = "") -> RenderableType:
    """A verdict line, the scores and one row per finding (body text is never markup)."""
    header = Text()
    if source:
        header.append(source, style="bold")
        header.append(": ")
    header.append_text(_status(verdict))
    header.append(f"  score {verdict.score}/100  ")
    header.append("  ".join(f"{p} {verdict.scores[p]}" for p in PRINCIPLE_NAMES), style="dim")
    header.append(f"  {verdict.kind}", style="dim")
    parts: list[RenderableType] = [header]
    for failure in verdict.threshold_failures:
        parts.append(Text(f"  not ready: {failure}", style="red"))
    if verdict.findings:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("id", no_wrap=True)
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("finding", overflow="fold")
        for finding in verdict.findings:
            detail = Text(finding.message)
            if finding.excerpt:
                detail.append("\n" + finding.excerpt, style="italic")
            detail.append("\nfix: " + finding.fix, style="cyan")
            table.add_row(
                Text(finding.severity, style=_STYLES[finding.severity]),
                Text(finding.id),
                Text(str(finding.line) if finding.line else "-"),
                detail,
            )
        parts.append(table)
    return Group(*parts)


def _common_folder(paths: Sequence[str]) -> str:
    """The folder every path lies under (``""`` if none), ending with ``/``."""
    folders = [path.rsplit("/", 1)[0] for path in paths if "/" in path]
    if len(folders) != len(paths) or not folders:
        return ""
    common = posixpath.commonpath(folders) if all(f and f[0] != "/" for f in folders) else ""
    return f"{common}/" if common else ""


def render_summary(results: Sequence[tuple[str, Verdict]]) -> RenderableType:
    """One row per spec: verdict, score, the four principle scores, errors and warnings.

    Paths are shown relative to the folder they all share, named in the title, so that the
    table stays readable in 80 columns.
    """
    folder = _common_folder([path for path, _ in results])
    title = f"Summary ({folder})" if folder else "Summary"
    results = [(path.removeprefix(folder), verdict) for path, verdict in results]
    table = Table(
        title=title, show_header=True, header_style="bold", box=box.SIMPLE, pad_edge=False
    )
    longest = max((len(path) for path, _ in results), default=4)
    table.add_column("spec", overflow="fold", min_width=min(longest, 40))
    table.add_column("verdict", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("P1  P2  P3  P4", no_wrap=True)
    table.add_column("err", justify="right", no_wrap=True)
    table.add_column("warn", justify="right", no_wrap=True)
    for path, verdict in results:
        errors = sum(1 for f in verdict.findings if f.severity == "error")
        warns = sum(1 for f in verdict.findings if f.severity == "warn")
        table.add_row(
            Text(path),
            _status(verdict),
            str(verdict.score),
            " ".join(f"{verdict.scores[p]:>3}" for p in PRINCIPLE_NAMES),
            str(errors),
            str(warns),
        )
    return table
