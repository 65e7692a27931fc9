"""``specbot demo``: the whole loop offline, from a spec issue to a reviewed pull request.

Everything runs in this process on free local ports: localhub stands in for GitHub, a scripted
server for the model. Exit 0 only when every step of the loop happened. On a terminal a live
display shows the steps to come, the App's runs and agents at work and the cost so far; at the
end the demo says where its runs are on the App's run dashboard.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli._interrupt import SIGNALS, install, on_interrupt

if TYPE_CHECKING:
    from bot.cli._live import LiveProgress
    from bot.offline import DemoContent, DemoReport, OfflineStack

SCRIPTED_NOTE = """\
The model is SCRIPTED: its answers come from {script}, so the run is offline, free and
reproducible. To use a real model, install specbot as a GitHub App (docs/install.md) with
ANTHROPIC_API_KEY set, or try it on a checkout: specbot run SPEC.md --repo PATH.
"""


def demo(
    keep: Annotated[
        Path | None,
        typer.Option("--keep", help="Keep the demo's data (database, checkouts) in this folder."),
    ] = None,
    timeout: float = typer.Option(300.0, "--timeout", min=10.0, help="Seconds to wait in all."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show specbot's log lines too."),
    serve: bool = typer.Option(
        False, "--serve", help="Afterwards keep localhub and the App running until Ctrl-C."
    ),
    open_browser: bool = typer.Option(
        False,
        "--open",
        help="Afterwards open the demo's runs (the run dashboard) in a browser; implies --serve.",
    ),
) -> None:
    """Run the whole loop offline: gate, plan, implement, test, PR, review, one follow-up."""
    from bot.offline import run_demo
    from bot.web import configure_logging

    configure_logging("INFO" if verbose else "WARNING")
    content = _content()
    typer.echo(SCRIPTED_NOTE.format(script=content.script.name))
    serve = serve or open_browser
    # Log lines would tear a live display apart: --verbose gets the plain lines.
    live = None if verbose else _live_display()
    data_dir = keep if keep is not None else Path(tempfile.mkdtemp(prefix="specbot-demo-"))
    if keep is None:
        # Everything the demo writes (localhub's state too) goes in one folder, removed at the
        # end, also when the demo is interrupted.
        tempfile.tempdir = str(data_dir)
        on_interrupt("demo", "the demo stopped; its temporary data is removed", remove=data_dir)
    else:
        on_interrupt("demo", f"the demo stopped; its data is kept in {data_dir}")

    def hold(stack: OfflineStack, report: DemoReport) -> None:
        if live is not None:
            live.stop()
        _serve_until_interrupted(stack, report, open_browser=open_browser)

    try:
        with live if live is not None else contextlib.nullcontext():
            report = run_demo(
                content,
                data_dir,
                live.note if live is not None else typer.echo,
                timeout=timeout,
                hold=hold if serve else None,
                board=live.board if live is not None else None,
                # The demo's project runs its tests with this interpreter's pytest: no network.
                SPECBOT_WORKSPACE_VENV=Path(sys.prefix),
            )
    finally:
        if keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    if serve:
        typer.echo("specbot demo: stopped localhub and the App.")
    else:
        _summary(report)
        typer.echo(
            "To look at a demo's runs in a browser (stages, agents, tool calls, cost): "
            "specbot demo --open keeps the App up afterwards and opens its run dashboard."
        )
    if not report.ok:
        typer.echo(
            f"specbot demo: these steps did not happen: {', '.join(report.missed)}", err=True
        )
        raise typer.Exit(1)


def _content() -> DemoContent:
    from bot.demo import demo_repo_dir, demo_script_path, demo_spec, demo_spec_not_ready
    from bot.offline import DemoContent

    spec = demo_spec()
    refused = demo_spec_not_ready()
    return DemoContent(
        demo_repo_dir(),
        spec.title,
        spec.body,
        demo_script_path(),
        not_ready=(refused.title, refused.body),
    )


def _live_display() -> LiveProgress | None:
    """A live display of the demo on a terminal standard output, else None (plain lines)."""
    from bot.cli._live import LiveProgress, terminal_console, wants_live
    from bot.local import Board

    if not wants_live(sys.stdout):
        return None
    board = Board("specbot demo: the App at work", usage_from_events=False)
    # It goes when the demo ends: the lines above it and the summary say what happened.
    return LiveProgress(board, terminal_console(sys.stdout), transient=True)


def _summary(report: DemoReport) -> None:
    typer.echo("")
    typer.echo(
        f"{len(report.seen)} of {len(report.seen) + len(report.missed)} steps in "
        f"{report.seconds:.1f} s · GitHub API calls by specbot: {report.api_calls} · "
        f"model calls: {report.model_calls} · tokens: {report.input_tokens:,} in / "
        f"{report.output_tokens:,} out · cost ${report.cost_usd:.4f} at the model's prices"
    )
    if report.ok:
        typer.echo("Every step happened.")


def _stop_serving(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _dashboard(report: DemoReport) -> None:
    """Where the demo's runs are: the run dashboard, its sign-in secret, each run's own page."""
    typer.echo("")
    typer.echo("The demo's runs on specbot's run dashboard (stages, agents, tool calls, cost):")
    typer.echo(f"  {report.dashboard}")
    typer.echo(
        f"  sign-in secret: {report.dashboard_secret} (made for this local demo only;"
        " it ends with it)"
    )
    if report.runs:
        typer.echo("  or one run's page, no sign-in needed:")
        width = max(len(label) for label, _url in report.runs) + 1
        for label, url in report.runs:
            typer.echo(f"    {label + ':':<{width}} {url}")


def _open_in_browser(url: str) -> None:
    """Open ``url`` in the person's browser, else say to open it (no browser here)."""
    import webbrowser

    try:
        opened = webbrowser.open(url)
    except Exception:  # a broken browser setting is no reason to stop the servers
        opened = False
    if opened:
        typer.echo(f"Opened {url} in your browser.")
    else:
        typer.echo(f"No browser could be opened from here: open {url} yourself.")


def _serve_until_interrupted(
    stack: OfflineStack, report: DemoReport, *, open_browser: bool = False
) -> None:
    """Print the summary and where to look, then keep everything running until Ctrl-C."""
    import threading

    from bot.offline import USER_TOKEN

    _summary(report)
    _dashboard(report)
    typer.echo("")
    typer.echo("localhub and the App keep running. Look around (Ctrl-C stops them):")
    width = max(len(name) for name in report.links) + 1
    for name, url in report.links.items():
        typer.echo(f"  {name + ':':<{width}} {url}")
    typer.echo(f"  {'API:':<{width}} {stack.hub.api_url} (token {USER_TOKEN})")
    # Here a signal is how the person says they are done: stop the servers and exit 0, rather
    # than the interruption (exit 130) it is while the loop runs. A second one still is.
    for signum in SIGNALS:
        signal.signal(signum, _stop_serving)
    try:
        if open_browser:
            _open_in_browser(report.dashboard)
        threading.Event().wait()
    except KeyboardInterrupt:
        typer.echo("")
    finally:
        install()
