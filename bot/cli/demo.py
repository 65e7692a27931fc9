"""``specbot demo``: the whole loop offline, from a spec issue to a reviewed pull request.

Everything runs in this process on free local ports: localhub stands in for GitHub, a scripted
server for the model. Exit 0 only when every step of the loop happened.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from bot.cli._interrupt import on_interrupt

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
            # The demo's project runs its tests with this interpreter's pytest: no network.
            SPECBOT_WORKSPACE_VENV=Path(sys.prefix),
        )
    finally:
        if keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    typer.echo("")
    typer.echo(
        f"{len(report.seen)} of {len(report.seen) + len(report.missed)} steps in "
        f"{report.seconds:.1f} s · GitHub API calls by specbot: {report.api_calls} · "
        f"model calls: {report.model_calls} · tokens: {report.input_tokens:,} in / "
        f"{report.output_tokens:,} out"
    )
    if not report.ok:
        typer.echo(
            f"specbot demo: these steps did not happen: {', '.join(report.missed)}", err=True
        )
        raise typer.Exit(1)
    typer.echo("Every step happened.")
