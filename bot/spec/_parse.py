"""``parse_spec``: an issue body as a typed ``Spec`` (sections and acceptance criteria)."""

from __future__ import annotations

from bot.spec._document import Document, Line, SectionSpan, analyse, criterion_text
from bot.spec._model import Criterion, Section, Spec
from bot.spec._rules_structure import count_words


def parse_spec(body: str | bytes | None) -> Spec:
    """Parse an issue body (any form, any size, ``None`` allowed) into a ``Spec``."""
    return spec_of(analyse(body))


def spec_of(doc: Document) -> Spec:
    """The public model of an analysed document."""
    sections = []
    for span in doc.sections:
        text = _section_text(doc, span)
        if not span.line and span.empty and not text.strip():
            continue  # no preamble
        sections.append(
            Section(
                kind=span.kind,
                title=span.title,
                form=span.form,
                line=span.line,
                end_line=span.end_line,
                text=text,
                empty=span.empty,
                no_response=span.no_response,
            )
        )
    return Spec(
        sections=tuple(sections),
        criteria=tuple(_criteria(doc)),
        line_count=doc.line_count,
        word_count=count_words(doc) if not doc.norm.empty_body else 0,
    )


def _section_text(doc: Document, span: SectionSpan) -> str:
    norm = doc.norm
    parts = [span.rest] if span.line and span.form != "heading" else []
    for index in range(span.line, span.end_line):
        parts.append(norm.raw_lines[index] if norm.in_fence[index] else norm.content_lines[index])
    return "\n".join(parts).strip("\n")


def _criteria(doc: Document) -> list[Criterion]:
    criteria: list[Criterion] = []
    scenario: list[Line] = []
    item_end = -1  # the last line of the checklist item just read, -1 after anything else
    for line in doc.lines:
        continues_item = item_end == line.number - 1
        if line.criterion == "gherkin":
            if scenario and scenario[-1].number != line.number - 1:
                criteria.append(_scenario(doc, scenario))
                scenario = []
            scenario.append(line)
            continue
        if scenario and line.text.strip():
            criteria.append(_scenario(doc, scenario))
            scenario = []
        if line.cls == "C" and line.criterion is not None:
            if continues_item and line.criterion == "section" and line.text[:1].isspace():
                # A checklist item wrapped onto an indented line is one criterion, not two.
                last = criteria[-1]
                text = f"{last.text} {criterion_text(line.text)}"
                criteria[-1] = last.model_copy(update={"text": text})
                item_end = line.number
                continue
            criteria.append(
                Criterion(
                    line=line.number,
                    kind=line.criterion,
                    text=criterion_text(line.text),
                    checked=line.checked,
                    section=doc.section_of(line).kind,
                )
            )
            item_end = line.number if line.criterion == "checklist" else -1
        else:
            item_end = -1
    if scenario:
        criteria.append(_scenario(doc, scenario))
    return criteria


def _scenario(doc: Document, lines: list[Line]) -> Criterion:
    return Criterion(
        line=lines[0].number,
        kind="gherkin",
        text="\n".join(criterion_text(line.text) for line in lines),
        section=doc.section_of(lines[0]).kind,
    )
