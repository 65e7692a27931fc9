"""``specbot demo``: the whole loop offline, from a spec issue to a reviewed pull request.

Everything runs in this process on free local ports: localhub stands in for GitHub, a scripted
server for the model. Exit 0 only when every step of the loop happened.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli._interrupt import SIGNALS, install, on_interrupt

if TYPE_CHECKING:
    from bot.offline import DemoReport, OfflineStack

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
) -> None:
    """Run the whole loop offline: gate, plan, implement, test, PR, review, one follow-up."""
    from bot.demo import demo_repo_dir, demo_script_path, demo_spec, demo_spec_not_ready
    from bot.offline import DemoContent, run_demo
    from bot.web import configure_logging

    configure_logging("INFO" if verbose else "WARNING")
    spec = demo_spec()
    refused = demo_spec_not_ready()
    content = DemoContent(
        demo_repo_dir(),
        spec.title,
        spec.body,
        demo_script_path(),
        not_ready=(refused.title, refused.body),
    )
    typer.echo(SCRIPTED_NOTE.format(script=content.script.name))
    data_dir = keep if keep is not None else Path(tempfile.mkdtemp(prefix="specbot-demo-"))
    if keep is None:
        # Everything the demo writes (localhub's state too) goes in one folder, removed at the
        # end, also when the demo is interrupted.
        tempfile.tempdir = str(data_dir)
        on_interrupt("demo", "the demo stopped; its temporary data is removed", remove=data_dir)
    else:
        on_interrupt("demo", f"the demo stopped; its data is kept in {data_dir}")
    try:
        report = run_demo(
            content,
            data_dir,
            typer.echo,
            timeout=timeout,
            hold=_serve_until_interrupted if serve else None,
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
    if not report.ok:
        typer.echo(
            f"specbot demo: these steps did not happen: {', '.join(report.missed)}", err=True
        )
        raise typer.Exit(1)


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


def _serve_until_interrupted(stack: OfflineStack, report: DemoReport) -> None:
    """Print the summary and where to look, then keep everything running until Ctrl-C."""
    import threading

    from bot.offline import USER_TOKEN

    _summary(report)
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
        threading.Event().wait()
    except KeyboardInterrupt:
        typer.echo("")
    finally:
        install()
