"""``specbot review``: the reviewer swarm on a local diff, no GitHub."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.run import fail, find_commit, load_config, load_settings, read_text_file, spec_title

if TYPE_CHECKING:
    from bot.local import LocalReview
    from bot.work import SpecText

EXIT_NO_BLOCKER = 0
EXIT_CHANGES_REQUESTED = 1
# The stages ``bot.local.review_local`` goes through, shown waiting before they start.
REVIEW_STAGES = ("diff", "export", "review")


class ReviewFormat(StrEnum):
    """How the review is printed."""

    text = "text"
    json = "json"
    markdown = "markdown"


def parse_reviewers(given: str | None, configured: list[str]) -> tuple[str, ...]:
    """``--reviewers a,b`` (each a known reviewer role), else the configured review swarm."""
    from bot.agents import REVIEWER_ROLES

    if given is None:
        skipped = [name for name in configured if name not in REVIEWER_ROLES]
        if skipped:
            # Custom agents of the App's configuration have no built-in reviewer role here.
            typer.echo(f"note: not run locally (no reviewer role): {', '.join(skipped)}", err=True)
        return tuple(name for name in configured if name in REVIEWER_ROLES)
    names = tuple(dict.fromkeys(part.strip() for part in given.split(",") if part.strip()))
    if not names:
        fail("review", f"--reviewers names no reviewer; known: {', '.join(REVIEWER_ROLES)}")
    unknown = [name for name in names if name not in REVIEWER_ROLES]
    if unknown:
        fail("review", f"unknown reviewer {unknown[0]!r}; known: {', '.join(REVIEWER_ROLES)}")
    return names


def review_command(
    base: Annotated[
        str, typer.Option("--base", help="What the changes are compared with (a branch or commit).")
    ],
    repo: Annotated[Path, typer.Option("--repo", "-r", help="The local git repository.")] = Path(
        "."
    ),
    head: Annotated[str, typer.Option("--head", help="The changed commit.")] = "HEAD",
    spec: Annotated[
        Path | None, typer.Option("--spec", help="The specification the changes implement.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Configuration file (default: the repository's)."),
    ] = None,
    reviewers: Annotated[
        str | None,
        typer.Option("--reviewers", help="Comma-separated reviewer roles (default: the config's)."),
    ] = None,
    no_analysers: Annotated[
        bool, typer.Option("--no-analysers", help="Do not run ruff, bandit and semgrep.")
    ] = False,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="No model reviewers: the analysers only.")
    ] = False,
    output: Annotated[
        ReviewFormat, typer.Option("--format", "-f", help="text, json or markdown.")
    ] = ReviewFormat.text,
) -> None:
    """Review `git diff BASE...HEAD`: exit 0 no blocking finding, 1 changes requested, 2 usage."""
    from bot.cli._live import CommandProgress
    from bot.local import (
        LocalGitError,
        NoModelError,
        ReviewRequest,
        check_model_reachable,
        has_uncommitted_changes,
        review_local,
        team_from_settings,
    )

    settings = load_settings("review")
    root, base_sha = find_commit("review", repo, base)
    head_sha = find_commit("review", root, head)[1]
    repo_config = load_config("review", root, base_sha, config)
    configured = repo_config.flows["review"].agents if "review" in repo_config.flows else []
    if no_model and reviewers is not None:
        fail("review", "--reviewers names model reviewers; it cannot go with --no-model")
    names = () if no_model else parse_reviewers(reviewers, configured)
    if not names and no_analysers:
        fail("review", "nothing to run: no model reviewer and --no-analysers")
    spec_text = read_spec(spec)
    shown = CommandProgress(f"specbot review: {base}...{head}", REVIEW_STAGES)
    progress = shown.progress
    try:
        team = team_from_settings(settings, progress, with_model=bool(names))
        if names:
            check_model_reachable(settings)
    except NoModelError as exc:
        fail("review", f"{exc}; or use --no-model for the analysers only")
    if head == "HEAD" and has_uncommitted_changes(root):
        progress.say("note: uncommitted changes are not reviewed (only commits up to HEAD)")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    request = ReviewRequest(
        repo=root,
        base_ref=base,
        head_ref=head,
        base_sha=base_sha,
        head_sha=head_sha,
        spec=spec_text,
        reviewers=names,
        analysers=not no_analysers,
        policy=repo_config.review,
        work_dir=Path(tempfile.mkdtemp(prefix="review-", dir=settings.data_dir)),
    )
    try:
        with shown:
            review = review_local(request, team, progress)
    except LocalGitError as exc:  # e.g. base and head share no history
        fail("review", str(exc))
    raise typer.Exit(print_review(review, output))


def read_spec(path: Path | None) -> SpecText | None:
    """``--spec FILE`` as the reviewers' specification, or None."""
    from bot.work import SpecText

    if path is None:
        return None
    body = read_text_file("review", path)
    return SpecText.of(0, spec_title(body, path), body)


def print_review(review: LocalReview, output: ReviewFormat) -> int:
    """Print the review; the exit status (1 when changes are requested or a member failed)."""
    from bot.local import review_json, review_markdown, review_text

    render = {
        ReviewFormat.text: review_text,
        ReviewFormat.json: review_json,
        ReviewFormat.markdown: review_markdown,
    }[output]
    typer.echo(render(review))
    if review.incomplete:
        # The reasons are in the review itself: name the members once more, not the reasons.
        names = ", ".join(entry.split(":", 1)[0] for entry in review.incomplete)
        typer.echo(f"specbot review: incomplete: {names} did not finish", err=True)
    blocked = review.verdict == "request_changes" or bool(review.incomplete)
    return EXIT_CHANGES_REQUESTED if blocked else EXIT_NO_BLOCKER
