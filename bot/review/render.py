"""Turn merged findings into GitHub's review and check-run shapes (pure, no I/O).

Every finding ends up somewhere: inline on a diff line when it can be placed, otherwise in the
review body. Every field a reviewer wrote goes through ``bot.posted``, so a finding is shown but
cannot ping people or teams, reference issues, hide what follows it or forge specbot's markers.

Each posted finding carries a hidden marker with its fingerprint and an HMAC of it under a key
only the service holds; a later round skips the findings whose marker it finds, valid, in
specbot's own comments. Anyone can copy or compute a fingerprint, nobody else can sign it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from bot.diffs import place
from bot.posted import (
    ANNOTATION_TITLE_LIMIT,
    CHECK_TEXT_LIMIT,
    GITHUB_BODY_LIMIT,
    code_block,
    code_span,
    fit,
    fit_bytes,
    inert_line,
    inert_plain,
    inert_text,
    suggestion_block,
)
from bot.review.findings import Severity
from bot.review.synthesis import MergedFinding, ReviewEvent

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


_FINDING_MARKER = "<!-- specbot:finding:{fingerprint}:{signature} -->"
# Markers of older versions carry no signature: anyone could have written them, so they count
# for nothing (the first round after an upgrade may repeat a finding posted before it).
_FINDING_PATTERN = re.compile(r"<!-- specbot:finding:([0-9a-f]{16}):([0-9a-f]{32}) -->")
_MARKER_PURPOSE = b"specbot finding marker\0"


def marker_key(secret: str) -> bytes:
    """The finding markers' key, derived from a secret only the service holds."""
    return hmac.new(secret.encode("utf-8"), _MARKER_PURPOSE, hashlib.sha256).digest()


def _signature(key: bytes, fingerprint: str) -> str:
    return hmac.new(key, fingerprint.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def finding_marker(key: bytes, fingerprint: str) -> str:
    """The hidden marker of a posted finding: its fingerprint and the fingerprint's HMAC."""
    return _FINDING_MARKER.format(fingerprint=fingerprint, signature=_signature(key, fingerprint))


def posted_fingerprints(bodies: Iterable[str], key: bytes) -> set[str]:
    """Fingerprints in validly signed markers of these bodies (pass specbot's comments only)."""
    return {
        found
        for body in bodies
        for found, signature in _FINDING_PATTERN.findall(body)
        if hmac.compare_digest(_signature(key, found), signature)
    }


def _finding_markdown(
    item: MergedFinding,
    key: bytes | None,
    moved_from: int | None = None,
    one_click: bool = False,
) -> str:
    finding = item.finding
    reviewers = ", ".join(inert_line(name, 60) for name in item.reviewers)
    lines = [finding_marker(key, item.fingerprint)] if key is not None else []
    lines += [
        f"{_ICONS[finding.severity]} **{finding.severity.value}** · {finding.kind}"
        f" · confidence {finding.confidence:.0%} · {reviewers}",
        "",
        inert_text(finding.message),
    ]
    if moved_from is not None and finding.quote:
        lines += ["", f"_Reported on line {moved_from}; placed on the code it quotes._"]
    elif moved_from is not None:
        lines += ["", f"_Reported on line {moved_from}, outside the diff; shown here._"]
    if finding.suggestion and one_click:
        lines += ["", suggestion_block(finding.suggestion)]
    elif finding.suggestion:
        # Not a one-click suggestion: it would replace lines nobody checked it was written for.
        lines += ["", "Suggested change:", "", code_block(finding.suggestion)]
    return "\n".join(lines)


def draft_review(
    findings: Sequence[MergedFinding],
    patches: Mapping[str, str | None],
    event: ReviewEvent,
    summary: str,
    not_reviewed: Sequence[str] = (),
    *,
    marker: str = "",
    key: bytes | None = None,
) -> ReviewDraft:
    """Place each finding on the diff; those that cannot be placed go into the body.

    ``marker`` (specbot's own, put first as is) identifies the review; with ``key`` every
    finding carries its signed marker for later rounds.
    """
    comments: list[InlineComment] = []
    in_body: list[str] = []
    for item in findings:
        finding = item.finding
        spot = place(finding.path, finding.line, finding.end_line, patches, finding.quote)
        if not spot.inline:
            where = f"**{code_span(finding.path)} line {finding.line}** ({spot.why_not})"
            in_body.append(f"{where}\n\n{_finding_markdown(item, key)}")
            continue
        moved_from = finding.line if spot.moved else None
        # A suggestion replaces the commented lines: one-click only where the quote matched
        # them, or, for a finding without a quote, where it stayed on the lines it gave.
        one_click = spot.quoted or (not finding.quote and not spot.moved)
        text = _finding_markdown(item, key, moved_from, one_click=one_click)
        comments.append(
            InlineComment(
                path=spot.path,
                line=spot.line,
                start_line=spot.start_line,
                body=fit(text, GITHUB_BODY_LIMIT),
            )
        )
    parts = [marker, inert_text(summary)] if marker else [inert_text(summary)]
    if in_body:
        parts.append("#### Findings outside the diff\n\n" + "\n\n---\n\n".join(in_body))
    if not_reviewed:
        listed = "\n".join(f"- {code_span(path)}" for path in not_reviewed)
        parts.append(f"#### Not reviewed\n\n{listed}")
    body = fit("\n\n".join(parts), GITHUB_BODY_LIMIT)
    return ReviewDraft(event=event, body=body, comments=tuple(comments))


def check_summary(summary: str, not_reviewed: Sequence[str] = ()) -> str:
    """The check run's output summary: the review's summary and the files not reviewed."""
    parts = [inert_text(summary)]
    if not_reviewed:
        listed = "\n".join(f"- {code_span(path)}" for path in not_reviewed)
        parts.append(f"Not reviewed:\n\n{listed}")
    return fit("\n\n".join(parts), CHECK_TEXT_LIMIT)


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
                title=inert_plain(f"{finding.severity.value}: {finding.kind}")[
                    :ANNOTATION_TITLE_LIMIT
                ],
                message=fit_bytes(inert_plain(finding.message)),
            )
        )
    return result


def check_conclusion(findings: Sequence[MergedFinding], event: ReviewEvent) -> str:
    """``failure`` when changes are requested, ``neutral`` with findings, else ``success``."""
    if event is ReviewEvent.REQUEST_CHANGES:
        return "failure"
    return "neutral" if findings else "success"
