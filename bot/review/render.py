"""Turn merged findings into GitHub's review and check-run shapes (pure, no I/O).

Every finding ends up somewhere: inline on a diff line when it can be placed, otherwise in the
review body. Markdown from reviewers is data: it is shown inside the comment, but mentions are
defused so that a finding cannot ping people or teams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from bot.diffs import place
from bot.review.findings import Severity
from bot.review.synthesis import MergedFinding, ReviewEvent

GITHUB_TEXT_LIMIT = 65_536
ANNOTATIONS_PER_REQUEST = 50  # GitHub accepts at most 50 annotations per check-run call

_ICONS = {
    Severity.CRITICAL: "🛑",
    Severity.MAJOR: "⚠️",
    Severity.MINOR: "💡",
    Severity.NIT: "🪶",
}
_ANNOTATION_LEVELS = {
    Severity.CRITICAL: "failure",
    Severity.MAJOR: "failure",
    Severity.MINOR: "warning",
    Severity.NIT: "notice",
}


class InlineComment(BaseModel):
    """One comment of a pull-request review, as GitHub's create-review call takes it."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int
    start_line: int | None
    body: str
    side: str = "RIGHT"


class Annotation(BaseModel):
    """One check-run annotation, as GitHub's check-run output takes it."""

    model_config = ConfigDict(frozen=True)

    path: str
    start_line: int
    end_line: int
    annotation_level: str
    title: str
    message: str


class ReviewDraft(BaseModel):
    """The review specbot will post: event, body and inline comments."""

    model_config = ConfigDict(frozen=True)

    event: ReviewEvent
    body: str
    comments: tuple[InlineComment, ...]


def defuse_mentions(text: str) -> str:
    """Stop ``@user`` and ``@org/team`` in reviewer text from notifying anyone."""
    return text.replace("@", "@\u200b")


FINDING_MARKER = "<!-- specbot:finding:{fingerprint} -->"
_FINDING_PATTERN = re.compile(r"<!-- specbot:finding:([0-9a-f]+) -->")


def posted_fingerprints(bodies: Iterable[str]) -> set[str]:
    """Fingerprints of the findings specbot posted in these comment bodies (earlier rounds)."""
    return {match for body in bodies for match in _FINDING_PATTERN.findall(body)}


def _finding_markdown(item: MergedFinding, moved_from: int | None = None) -> str:
    finding = item.finding
    lines = [
        FINDING_MARKER.format(fingerprint=item.fingerprint),
        f"{_ICONS[finding.severity]} **{finding.severity.value}** · {finding.category}"
        f" · confidence {finding.confidence:.0%} · {', '.join(item.reviewers)}",
        "",
        defuse_mentions(finding.message),
    ]
    if moved_from is not None:
        lines += ["", f"_Reported on line {moved_from}, outside the diff; shown here._"]
    if finding.suggestion:
        lines += ["", "```suggestion", finding.suggestion.rstrip("\n"), "```"]
    return "\n".join(lines)


def _cut(text: str, limit: int = GITHUB_TEXT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    note = "\n\n_…cut to fit GitHub's limit._"
    return text[: limit - len(note)] + note


def draft_review(
    findings: Sequence[MergedFinding],
    patches: Mapping[str, str | None],
    event: ReviewEvent,
    summary: str,
    not_reviewed: Sequence[str] = (),
) -> ReviewDraft:
    """Place each finding on the diff; those that cannot be placed go into the body."""
    comments: list[InlineComment] = []
    in_body: list[str] = []
    for item in findings:
        finding = item.finding
        spot = place(finding.path, finding.line, finding.end_line, patches)
        if not spot.inline:
            in_body.append(f"**`{finding.path}` line {finding.line}**\n\n{_finding_markdown(item)}")
            continue
        moved_from = finding.line if spot.moved else None
        # A suggestion replaces exactly the commented lines; after a move it would not.
        shown = (
            item
            if not spot.moved
            else item.model_copy(
                update={"finding": finding.model_copy(update={"suggestion": None})}
            )
        )
        comments.append(
            InlineComment(
                path=spot.path,
                line=spot.line,
                start_line=spot.start_line,
                body=_cut(_finding_markdown(shown, moved_from)),
            )
        )
    parts = [defuse_mentions(summary)]
    if in_body:
        parts.append("#### Findings outside the diff\n\n" + "\n\n---\n\n".join(in_body))
    if not_reviewed:
        parts.append("#### Not reviewed\n\n" + "\n".join(f"- `{path}`" for path in not_reviewed))
    return ReviewDraft(event=event, body=_cut("\n\n".join(parts)), comments=tuple(comments))


def build_annotations(findings: Sequence[MergedFinding]) -> list[Annotation]:
    """One check-run annotation per finding (callers send them 50 at a time)."""
    result: list[Annotation] = []
    for item in findings:
        finding = item.finding
        end = finding.end_line if finding.end_line is not None else finding.line
        result.append(
            Annotation(
                path=finding.path,
                start_line=min(finding.line, end),
                end_line=max(finding.line, end),
                annotation_level=_ANNOTATION_LEVELS[finding.severity],
                title=f"{finding.severity.value}: {finding.category}"[:255],
                message=_cut(finding.message, 64_000),
            )
        )
    return result


def check_conclusion(findings: Sequence[MergedFinding], event: ReviewEvent) -> str:
    """``failure`` when changes are requested, ``neutral`` with findings, else ``success``."""
    if event is ReviewEvent.REQUEST_CHANGES:
        return "failure"
    return "neutral" if findings else "success"
