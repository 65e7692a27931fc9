"""Answers to the author's questions, read from a comment (pure).

Two forms: ``/specbot answer`` followed by numbered lines (``1. …``, ``2: …``, ``3) …``), each
answer running until the next number; or a reply that quotes the questions (``> 1. **ACC-001**:
…``) with each answer written under its quoted question. Only the comment's own lines count as
answers: quoted text is never taken as an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.clarify._questions import Question
from bot.commands import find_command

_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.:)]\s*(.*)$")
_QUOTE = re.compile(r"^\s*>")
_FINDING_ID = re.compile(r"\b([A-Z]{3}-\d{3})\b")
_COMMAND_LINE = re.compile(r"^\s*/\S+")


class Answers(BaseModel):
    """Answer lines per question number, and the numbers given that match no question."""

    model_config = ConfigDict(frozen=True)

    by_number: dict[int, tuple[str, ...]]
    unknown: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.by_number)


def _collect(pairs: Sequence[tuple[int | None, str]], questions: Sequence[Question]) -> Answers:
    known = {q.number for q in questions}
    found: dict[int, list[str]] = {}
    unknown: list[int] = []
    for number, line in pairs:
        if number is None or not line.strip():
            continue
        if number not in known:
            if number and number not in unknown:  # 0: a quoted question specbot did not ask
                unknown.append(number)
            continue
        found.setdefault(number, []).append(line.strip())
    return Answers(
        by_number={n: tuple(lines) for n, lines in sorted(found.items())}, unknown=tuple(unknown)
    )


def command_answers(text: str, questions: Sequence[Question], bot_name: str = "specbot") -> Answers:
    """The numbered answers after ``/<bot> answer`` (empty when there is no such command)."""
    command = find_command(text, bot_name)
    if command is None or command.verb != "answer":
        return Answers(by_number={})
    lines = text.replace("\r\n", "\n").split("\n")[command.line - 1 :]
    lines[0] = command.argument
    pairs: list[tuple[int | None, str]] = []
    current: int | None = None
    for line in lines:
        if _QUOTE.match(line):
            continue
        match = _NUMBERED.match(line)
        if match:
            current = int(match.group(1))
            line = match.group(2)
        pairs.append((current, line))
    return _collect(pairs, questions)


def _quoted_question(line: str, questions: Sequence[Question]) -> int | None:
    """The question a quoted line starts: by its finding id, else by its number; 0 for a
    finding id that no current question has (its answer is dropped, not misplaced)."""
    text = line.lstrip().lstrip(">").strip()
    by_id = {q.finding_id: q.number for q in questions}
    ids = _FINDING_ID.findall(text)
    for finding_id in ids:
        if finding_id in by_id:
            return by_id[finding_id]
    if ids:
        return 0
    match = _NUMBERED.match(text)
    return int(match.group(1)) if match else None


def quoted_answers(text: str, questions: Sequence[Question]) -> Answers:
    """Answers written under quoted questions (empty when no question is quoted)."""
    pairs: list[tuple[int | None, str]] = []
    current: int | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE.match(line):
            number = _quoted_question(line, questions)
            current = number if number is not None else current
            continue
        if _COMMAND_LINE.match(line):
            continue
        pairs.append((current, line))
    return _collect(pairs, questions)


def read_answers(text: str, questions: Sequence[Question], bot_name: str = "specbot") -> Answers:
    """A comment's answers in either form; ``/<bot> answer`` wins when both are present."""
    answers = command_answers(text, questions, bot_name)
    return answers if answers or answers.unknown else quoted_answers(text, questions)


def quotes_questions(text: str) -> bool:
    """A cheap test before any API call: does the comment quote a numbered finding question?"""
    return any(
        _QUOTE.match(line) and _FINDING_ID.search(line)
        for line in text.replace("\r\n", "\n").split("\n")
    )
