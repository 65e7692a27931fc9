"""The issue body with the author's answers in place, the original kept, and the diff (pure).

Answers go where their findings point: a line the finding names is rewritten (its list marker
kept), everything else is added to the end of its section, or under a new heading when the spec
has no such section. The spec as it was before the first applied answers stays in the body in a
collapsed block, fenced so the gate and the agents read it as code, never as a second spec.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from bot.clarify._answers import Answers
from bot.clarify._questions import Form, Question
from bot.spec import SectionKind, parse_spec

ISSUE_BODY_LIMIT = 65_536
ORIGINAL_MARKER = "<!-- specbot:original -->"
_APPLIED = "<!-- specbot:answers-applied {comment_id} -->"
_APPLIED_PATTERN = re.compile(r"<!-- specbot:answers-applied (\d+) -->")
_MARKER_PREFIX = re.compile(r"^(\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d{1,3}[.)]\s+)?)")
_UNSEEN = (SectionKind.OTHER, SectionKind.PREAMBLE)


class AmendError(ValueError):
    """The answers cannot be written into the issue (the one-line reason is the message)."""


def split_original(body: str) -> tuple[str, str]:
    """The spec part of a body and the kept block after it ('' when there is none)."""
    text = body.replace("\r\n", "\n")
    at = text.find(f"\n{ORIGINAL_MARKER}")
    if at < 0:
        return text.rstrip("\n"), ""
    return text[:at].rstrip("\n"), text[at:].strip("\n")


def applied_answers(body: str) -> set[int]:
    """The ids of the answer comments already written into this body."""
    return {int(found) for found in _APPLIED_PATTERN.findall(body)}


def _items(lines: Sequence[str], form: Form) -> list[str]:
    bare = [_MARKER_PREFIX.sub("", line, count=1).strip() for line in lines]
    bare = [line for line in bare if line]
    if form == "checklist":
        return [f"- [ ] {line}" for line in bare]
    if form == "bullets":
        return [f"- {line}" for line in bare]
    return [" ".join(bare)] if bare else []


def _rewrite_line(lines: list[str], question: Question, answer: Sequence[str]) -> bool:
    index = question.line - 1
    if not 0 <= index < len(lines):
        return False
    prefix = _MARKER_PREFIX.match(lines[index])
    kept = prefix.group(1) if prefix else ""
    bare = (_MARKER_PREFIX.sub("", part, count=1).strip() for part in answer)
    lines[index] = kept + " ".join(part for part in bare if part)
    return True


def _insert(text: str, kind: SectionKind, heading: str, items: list[str]) -> str:
    lines = text.split("\n")
    section = parse_spec(text).section(kind) if kind not in _UNSEEN else None
    if section is None or section.form == "preamble":
        return "\n".join([*lines, "", f"## {heading}", *items]).strip("\n")
    end = min(section.end_line, len(lines))
    while end > section.line and not lines[end - 1].strip():
        end -= 1
    return "\n".join([*lines[:end], *items, *lines[end:]])


def amend_spec(spec: str, questions: Sequence[Question], answers: Answers) -> str:
    """``spec`` with each answered question's answer placed where its finding points."""
    lines = spec.replace("\r\n", "\n").split("\n")
    grouped: dict[tuple[SectionKind, str], list[str]] = {}
    for question in questions:
        answer = answers.by_number.get(question.number)
        if not answer:
            continue
        if question.place == "line" and _rewrite_line(lines, question, answer):
            continue
        key = (question.section, question.heading)
        grouped.setdefault(key, []).extend(_items(answer, question.form))
    text = "\n".join(lines)
    for (kind, heading), items in grouped.items():
        text = _insert(text, kind, heading, items)
    return text


def _fence(text: str, char: str = "`") -> str:
    longest = max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)
    return char * max(3, longest + 1)


def amended_body(
    body: str, questions: Sequence[Question], answers: Answers, comment_id: int
) -> str:
    """The whole new issue body: the amended spec, then the first original, collapsed."""
    spec, kept = split_original(body)
    amended = amend_spec(spec, questions, answers)
    if not kept:
        fence = _fence(spec)
        kept = "\n".join(
            [
                ORIGINAL_MARKER,
                "<details><summary>The spec before the answers were applied</summary>",
                "",
                f"{fence}markdown",
                spec,
                fence,
                "",
                "</details>",
            ]
        )
    new = f"{amended}\n\n{kept}\n{_APPLIED.format(comment_id=comment_id)}\n"
    if len(new) > ISSUE_BODY_LIMIT:
        raise AmendError(
            f"with the answers and the original kept, the issue would be over GitHub's "
            f"{ISSUE_BODY_LIMIT:,} characters; shorten the answers or the spec"
        )
    return new


def render_diff(before: str, after: str) -> str:
    """A unified diff of the spec text, fenced as ``diff`` (safe for any content)."""
    lines = difflib.unified_diff(
        before.split("\n"), after.split("\n"), "issue (now)", "issue (answered)", lineterm="", n=2
    )
    text = "\n".join(lines)
    fence = _fence(text)
    return f"{fence}diff\n{text}\n{fence}"
