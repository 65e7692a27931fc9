"""Questions for a spec's author, chosen from the gate's findings by a data file (pure).

The same verdict always gives the same questions in the same order: errors before warnings,
then the rubric's order; one question per finding id (its first finding); at most five. The
phrasings, and where each answer goes in the spec, live in ``questions.yaml``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from bot.spec import Finding, SectionKind, Verdict, code_span

MAX_QUESTIONS = 5
Form = Literal["checklist", "bullets", "text"]
Place = Literal["section", "line"]
_ASKED = ("error", "warn")


class Template(BaseModel):
    """How one finding id is asked and where its answer goes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str = ""
    section: SectionKind
    heading: str
    form: Form = "text"
    place: Place = "section"


class Question(BaseModel):
    """One numbered question, tied to the finding it would fix."""

    model_config = ConfigDict(frozen=True)

    number: int
    finding_id: str
    line: int
    text: str
    section: SectionKind
    heading: str
    form: Form
    place: Place


class Catalog(BaseModel):
    """The whole data file: templates per id, the fallback per principle, ids never asked."""

    model_config = ConfigDict(frozen=True)

    templates: dict[str, Template]
    fallback_question: str
    fallback: dict[str, Template]
    skip: frozenset[str]
    heading: str
    instructions: str


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """The catalog from the YAML data (``questions.yaml``'s layout)."""
    fallback = data["fallback"]
    return Catalog(
        templates={key: Template(**value) for key, value in data["questions"].items()},
        fallback_question=str(fallback["question"]),
        fallback={key: Template(**value) for key, value in fallback["by_principle"].items()},
        skip=frozenset(data.get("skip") or ()),
        heading=str(data["heading"]),
        instructions=str(data["instructions"]),
    )


@functools.cache
def catalog() -> Catalog:
    """The shipped catalog, read once."""
    text = resources.files("bot.clarify").joinpath("questions.yaml").read_text("utf-8")
    return parse_catalog(yaml.safe_load(text))


def _template(finding: Finding, book: Catalog) -> tuple[Template, str]:
    found = book.templates.get(finding.id)
    if found is not None:
        return found, found.question
    return book.fallback[finding.principle or "none"], book.fallback_question


def _phrase(pattern: str, finding: Finding) -> str:
    excerpt = code_span(finding.excerpt) if finding.excerpt else "the text there"
    return pattern.format_map(
        {
            "line": finding.line,
            "excerpt": excerpt,
            "message": finding.message,
            "fix": finding.fix,
        }
    )


def questions_for(verdict: Verdict, book: Catalog | None = None) -> list[Question]:
    """At most five questions for a verdict that is not ready; none for a ready one."""
    if verdict.ready:
        return []
    book = book or catalog()
    ordered = sorted(
        (f for f in verdict.findings if f.severity in _ASKED and f.id not in book.skip),
        key=lambda f: f.sort_key(),
    )
    chosen: dict[str, Finding] = {}
    for finding in ordered:
        chosen.setdefault(finding.id, finding)
    result: list[Question] = []
    for number, finding in enumerate(list(chosen.values())[:MAX_QUESTIONS], start=1):
        template, pattern = _template(finding, book)
        place: Place = template.place if finding.line > 0 else "section"
        result.append(
            Question(
                number=number,
                finding_id=finding.id,
                line=finding.line,
                text=_phrase(pattern, finding),
                section=template.section,
                heading=template.heading,
                form=template.form,
                place=place,
            )
        )
    return result


def render_questions(
    questions: list[Question], *, bot_name: str = "specbot", book: Catalog | None = None
) -> str:
    """The questions as Markdown for the tracking comment, with how to answer them."""
    if not questions:
        return ""
    book = book or catalog()
    lines = [f"### {book.heading}", ""]
    lines += [f"{q.number}. **{q.finding_id}**: {q.text}" for q in questions]
    lines += ["", book.instructions.format_map({"bot": bot_name})]
    return "\n".join(lines)
