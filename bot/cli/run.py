"""``specbot run``: implement a spec on a new branch of a local repository, no GitHub."""

from __future__ import annotations

import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot.cli._interrupt import on_interrupt

if TYPE_CHECKING:
    from bot.config import RepoConfig
    from bot.settings import Settings
    from bot.spec import Verdict

EXIT_DONE = 0
EXIT_NOT_DONE = 1
EXIT_USAGE = 2
CONFIG_PATH = ".github/specbot.yml"
# The stages ``bot.local.run_spec`` goes through, shown waiting before they start.
RUN_STAGES = ("checkout", "setup", "plan", "implement", "guard", "test", "criteria", "commit")


class RunFormat(StrEnum):
    """How the run's result is printed."""

    text = "text"
    json = "json"


def fail(command: str, message: str) -> NoReturn:
    """One line on stderr and exit 2 (a usage error)."""
    typer.echo(f"specbot {command}: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def read_text_file(command: str, path: Path) -> str:
    """A UTF-8 file's text, or a usage error naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
        if "\x00" in text:  # never in text: an image or an archive under a .md name
            fail(
                command,
                f"{path}: a binary file, not text (a NUL byte at offset {text.index(chr(0))})",
            )
        return text
    except FileNotFoundError:
        fail(command, f"{path}: no such file")
    except IsADirectoryError:
        fail(command, f"{path}: a folder, not a file")
    except UnicodeDecodeError:
        fail(command, f"{path}: not UTF-8 text")
    except OSError as exc:
        fail(command, f"{path}: cannot read ({exc.strerror or exc})")


def load_settings(command: str) -> Settings:
    """Settings from the environment, or a usage error naming the bad variable."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        from bot.wording import plain_error

        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        fail(command, f"setting {name}: {plain_error(first)}")


def load_config(command: str, repo: Path, base_sha: str, given: Path | None) -> RepoConfig:
    """``--config FILE``, else the repository's ``.github/specbot.yml`` at the base commit."""
    from bot.config import ConfigError, RepoConfig, load_repo_config
    from bot.local import read_at

    if given is not None:
        text, source = read_text_file(command, given), str(given)
    else:
        found = read_at(repo, base_sha, CONFIG_PATH)
        if found is None:
            return RepoConfig()
        text, source = found, f"{CONFIG_PATH} at {base_sha[:12]}"
    try:
        return load_repo_config(text, source)
    except ConfigError as exc:
        fail(command, str(exc))


def run_command(
    spec: Annotated[Path, typer.Argument(metavar="SPEC.md", help="The specification (Markdown).")],
    repo: Annotated[
        Path, typer.Option("--repo", "-r", help="The local git repository to implement it in.")
    ] = Path("."),
    branch: Annotated[
        str | None,
        typer.Option("--branch", "-b", help="New branch name (default: specbot/local-<slug>)."),
    ] = None,
    base: Annotated[str, typer.Option("--base", help="Commit the branch starts from.")] = "HEAD",
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Configuration file (default: the repository's)."),
    ] = None,
    venv: Annotated[
        Path | None,
        typer.Option(
            "--venv",
            help="An existing virtual environment to run in as it is (default:"
            " SPECBOT_WORKSPACE_VENV, else one per repository in the data folder).",
        ),
    ] = None,
    keep_checkout: Annotated[
        bool, typer.Option("--keep-checkout", help="Keep the run's private checkout afterwards.")
    ] = False,
    output: Annotated[
        RunFormat, typer.Option("--format", "-f", help="text (terminal) or json.")
    ] = RunFormat.text,
) -> None:
    """Implement SPEC.md on a new branch: exit 0 committed with tests passing, 1 not, 2 usage."""
    from bot.cli._live import CommandProgress
    from bot.local import (
        NoModelError,
        RunRequest,
        check_model_reachable,
        has_uncommitted_changes,
        require_model,
        run_json,
        run_spec,
        run_text,
        team_from_settings,
    )
    from bot.spec import lint
    from bot.work import SpecText

    text = read_text_file("run", spec)
    settings = load_settings("run")
    root, base_sha = find_commit("run", repo, base)
    repo_config = load_config("run", root, base_sha, config)
    given_venv = check_venv("run", venv or settings.workspace_venv)
    try:
        require_model(settings)
    except NoModelError as exc:
        fail("run", str(exc))
    verdict = lint(text, repo_config.gate)
    if not verdict.ready:
        print_verdict(verdict, str(spec), json_output=output is RunFormat.json)
        typer.echo("specbot run: the spec is not ready; nothing was run", err=True)
        raise typer.Exit(EXIT_NOT_DONE)
    try:
        check_model_reachable(settings)  # before the setup, not after it
    except NoModelError as exc:
        fail("run", str(exc))
    spec_text = SpecText.of(0, spec_title(text, spec), text)
    name = pick_branch(root, branch, spec_text.title)
    shown = CommandProgress(f"specbot run: {spec_text.title}", RUN_STAGES)
    progress = shown.progress
    team = team_from_settings(settings, progress)
    if base == "HEAD" and has_uncommitted_changes(root):
        progress.say("note: uncommitted changes in the repository are not part of the run")
    (settings.data_dir / "local").mkdir(parents=True, exist_ok=True)
    request = RunRequest(
        repo=root,
        spec_name=spec_name(spec, root),
        spec=spec_text,
        base_sha=base_sha,
        branch=name,
        config=repo_config,
        work_dir=Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=settings.data_dir / "local")),
        data_dir=settings.data_dir,
        venv=given_venv,
        isolate=settings.isolate_agents,
        keep_checkout=keep_checkout,
    )
    on_interrupt("run", f"the work so far is in {request.work_dir}")
    with shown:
        report = run_spec(request, team, progress)
    typer.echo(run_json(report) if output is RunFormat.json else run_text(report))
    raise typer.Exit(EXIT_DONE if report.ok else EXIT_NOT_DONE)


def find_commit(command: str, repo: Path, ref: str) -> tuple[Path, str]:
    """The repository's top folder and the sha of ``ref``, or a usage error."""
    from bot.local import LocalGitError, repository_root, resolve_commit

    try:
        root = repository_root(repo)
        return root, resolve_commit(root, ref)
    except LocalGitError as exc:
        fail(command, str(exc))


def pick_branch(root: Path, given: str | None, title: str) -> str:
    """``--branch`` if valid and new, else ``specbot/local-<slug>`` (suffixed when taken)."""
    from bot.branches import slugify
    from bot.local import LocalGitError, check_branch_name, free_branch

    try:
        if given is None:
            return free_branch(root, f"specbot/local-{slugify(title) or 'spec'}")
        check_branch_name(root, given)
        if free_branch(root, given) != given:
            fail("run", f"branch {given} already exists in {root}; choose another name")
        return given
    except LocalGitError as exc:
        fail("run", str(exc))


def spec_name(spec: Path, root: Path) -> str:
    """How the commit names the spec: its path in the repository, else its file name."""
    resolved = spec.resolve()
    if resolved.is_relative_to(root.resolve()):
        return resolved.relative_to(root.resolve()).as_posix()
    return spec.name


def spec_title(text: str, path: Path) -> str:
    """The spec's first level-1 Markdown heading, else its file name in words."""
    for line in text.splitlines():
        if line.startswith("# ") and line[2:].strip():
            return line[2:].strip()
    return path.stem.replace("-", " ").replace("_", " ")


def check_venv(command: str, venv: Path | None) -> Path | None:
    """A given virtual environment, or a usage error when it has no ``bin/python``."""
    if venv is not None and not (venv / "bin" / "python").exists():
        fail(command, f"{venv}: not a virtual environment (no bin/python)")
    return venv


def print_verdict(verdict: Verdict, source: str, *, json_output: bool) -> None:
    """The gate's verdict as ``specbot lint`` prints it (text or the JSON contract)."""
    from bot.spec import render_json, render_text

    if json_output:
        typer.echo(render_json(verdict))
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 100  # piped output has no width to fit
    console.print(render_text(verdict, source=source))
