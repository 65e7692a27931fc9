"""``specbot review`` without GitHub: the reviewer swarm on a local diff, findings placed on it.

The diff is ``git diff base...head`` (what a pull request of ``head`` into ``base`` shows).
Reviewers and analysers read the files of ``head`` from an exported copy, never the user's
working tree, and each finding is placed as GitHub would place it: on a diff line, moved to
the lines its quote names, or outside the diff (the review body).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.diffs import place
from bot.local._git import export_tree, git, local_diff
from bot.local._progress import Progress
from bot.local._report import UsageSummary
from bot.ports import FileDiff
from bot.review import MergedFinding, ReviewDraft, ReviewEvent, ReviewPolicy, draft_review
from bot.work import ReviewerNote, SpecText, Team, review_changes

Placement = Literal["on_diff", "moved", "outside_diff"]


@dataclass(frozen=True)
class ReviewRequest:
    """What to review and how."""

    repo: Path
    base_ref: str
    head_ref: str
    base_sha: str
    head_sha: str
    spec: SpecText | None
    reviewers: tuple[str, ...]
    analysers: bool
    policy: ReviewPolicy
    work_dir: Path  # this review's folder: the exported files of head


class PlacedFinding(BaseModel):
    """One merged finding and where it lands on the diff."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int
    end_line: int | None
    severity: str
    category: str
    message: str
    suggestion: str | None
    confidence: float
    reviewers: tuple[str, ...]
    placement: Placement
    diff_line: int | None  # the diff line it is shown on; None when outside the diff
    quoted: bool = Field(default=False, exclude=True)  # placed by its quote (text output only)


class ChangedFileSummary(BaseModel):
    """One file of the diff."""

    model_config = ConfigDict(frozen=True)

    path: str
    status: str
    additions: int
    deletions: int


class LocalReview(BaseModel):
    """The swarm's review of a local diff, for the summary and ``--format json``."""

    model_config = ConfigDict(frozen=True)

    verdict: Literal["request_changes", "comment"]
    base: str
    head: str
    base_ref: str
    head_ref: str
    files: tuple[ChangedFileSummary, ...]
    findings: tuple[PlacedFinding, ...]
    members: tuple[ReviewerNote, ...]
    not_reviewed: tuple[str, ...]
    incomplete: tuple[str, ...]  # swarm members that failed: the review is not whole
    summary: str
    usage: UsageSummary
    draft: ReviewDraft | None = Field(default=None, exclude=True)  # for --format markdown


def review_local(request: ReviewRequest, team: Team, progress: Progress) -> LocalReview:
    """Review ``base...head``: the swarm over the diff, each finding placed, one verdict."""
    with progress.stage("diff", f"{request.base_ref}...{request.head_ref}") as notes:
        files = local_diff(request.repo, request.base_sha, request.head_sha)
        notes.append(f"{len(files)} file(s) changed")
    if not files:
        return _review(request, team, files, [], ReviewEvent.COMMENT, "No changes to review.")
    tree = request.work_dir / "tree"
    try:
        with progress.stage("export", f"the files of {request.head_sha[:12]}"):
            export_tree(request.repo, request.head_sha, tree)
        members = [*request.reviewers, *(["analysers"] if request.analysers else [])]
        with progress.stage("review", ", ".join(members) or "nothing to run") as notes:
            result = review_changes(
                team,
                tree,
                files,
                request.spec,
                pull=0,
                title=_title(request),
                reviewers=request.reviewers,
                policy=request.policy,
                with_analysers=request.analysers,
            )
            notes.append(f"{len(result.findings)} finding(s)")
    finally:
        shutil.rmtree(request.work_dir, ignore_errors=True)
    return _review(
        request,
        team,
        files,
        result.findings,
        result.event,
        result.summary,
        members=result.members,
        not_reviewed=result.not_reviewed,
    )


def _title(request: ReviewRequest) -> str:
    subject = git(request.repo, "log", "-1", "--format=%s", request.head_sha).strip()
    return subject or f"{request.base_ref}...{request.head_ref}"


def _review(
    request: ReviewRequest,
    team: Team,
    files: list[FileDiff],
    findings: tuple[MergedFinding, ...] | list[MergedFinding],
    event: ReviewEvent,
    summary: str,
    *,
    members: tuple[ReviewerNote, ...] = (),
    not_reviewed: tuple[str, ...] = (),
) -> LocalReview:
    patches = {item.path: item.patch for item in files}
    draft = draft_review(findings, patches, event, summary, not_reviewed)
    calls = team.ledger.calls()
    return LocalReview(
        verdict="request_changes" if event is ReviewEvent.REQUEST_CHANGES else "comment",
        base=request.base_sha,
        head=request.head_sha,
        base_ref=request.base_ref,
        head_ref=request.head_ref,
        files=tuple(
            ChangedFileSummary(
                path=item.path,
                status=item.status,
                additions=item.additions,
                deletions=item.deletions,
            )
            for item in files
        ),
        findings=tuple(_placed(item, patches) for item in findings),
        members=members,
        not_reviewed=not_reviewed,
        incomplete=tuple(
            f"{note.member}: {note.status}"
            for note in members
            if note.status.startswith(("failed", "no review", "error"))
        ),
        summary=summary,
        usage=UsageSummary(
            model=team.model_name if calls else None,
            calls=len(calls),
            input_tokens=team.input_tokens,
            output_tokens=team.output_tokens,
            cost_usd=round(team.cost_usd, 6),
        ),
        draft=draft,
    )


def _placed(item: MergedFinding, patches: dict[str, str | None]) -> PlacedFinding:
    finding = item.finding
    spot = place(finding.path, finding.line, finding.end_line, patches, finding.quote)
    placement: Placement = "outside_diff"
    if spot.inline:
        placement = "moved" if spot.moved else "on_diff"
    return PlacedFinding(
        path=finding.path,
        line=finding.line,
        end_line=finding.end_line,
        severity=finding.severity.value,
        category=finding.kind,
        message=finding.message,
        suggestion=finding.suggestion,
        confidence=finding.confidence,
        reviewers=item.reviewers,
        placement=placement,
        diff_line=spot.line if spot.inline else None,
        quoted=spot.quoted,
    )
