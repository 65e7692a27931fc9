"""The analysed document: sections, line classes (X, R, C) and per-sentence signals.

Built once per body in linear time; every rule reads it and none re-parses the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.spec import _lexicon as lx
from bot.spec._model import CriterionKind, HeaderForm, SectionKind
from bot.spec._normalise import Normalised, normalise
from bot.spec._sections import C_SECTIONS, X_SECTIONS, Header, detect_header, fold
from bot.spec._sentences import NO_SIGNALS, Sentence, line_signals

NO_RESPONSE = "_no response_"
_EMPTY_MARKERS = frozenset({NO_RESPONSE, "n/a", "na", "none", "-", "ninguno", "ninguna", "no"})
_BARE_CHECKBOX = re.compile(r"^\s*[-*+]\s+\[[ xX]\]\s*$")
_TASK_ITEM = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(\S.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)")
_WORD = re.compile(r"\w")
_FIRST_WORD = re.compile(r"\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)?[*_]*(\w+)")
_EARS_OPENERS = frozenset(
    {"when", "while", "if", "where", "the", "cuando", "mientras", "si", "el", "la"}
)
_EARS_MODALS = frozenset({"shall", "debe", "debera"})
_GHERKIN_GIVEN = frozenset({"given", "dado", "dada", "dados", "dadas"})
_GHERKIN_WHEN = frozenset({"when", "cuando"})
_GHERKIN_THEN = frozenset({"then", "entonces"})
_GHERKIN_ALSO = frozenset({"and", "but", "y", "pero"})
_GHERKIN_KEYWORDS = _GHERKIN_GIVEN | _GHERKIN_WHEN | _GHERKIN_THEN | _GHERKIN_ALSO
_META_PREFIXES = (
    "i have searched", "i have read", "i have checked", "i have confirmed", "i agree",
    "i confirm", "i understand", "he buscado", "acepto", "confirmo",
)  # fmt: skip
_META_HEADINGS = ("checklist", "code of conduct", "prerequisites", "before submitting", "terms")


@dataclass(slots=True)
class Line:
    """One non-blank line of the body (or a header line) with its section, class and signals."""

    number: int
    text: str
    folded: str
    section: int
    heading: str = ""
    heading_line: int = 0
    cls: str = ""  # "X", "R", "C" or "" (blank, header, code, meta, empty marker)
    criterion: CriterionKind | None = None
    checked: bool | None = None
    first_word: str = ""  # of R and C lines: EARS openers and Gherkin keywords
    header: Header | None = None
    # Lines without content share one empty tuple: fewer containers for the garbage collector.
    sentences: Sequence[Sentence] = ()
    hits: frozenset[str] = NO_SIGNALS  # lexicons named in any of the sentences
    m_kinds: frozenset[str] = NO_SIGNALS  # M token kinds in any of the sentences


@dataclass(slots=True)
class SectionSpan:
    """A section while the document is analysed."""

    kind: SectionKind
    title: str
    form: HeaderForm
    line: int
    level: int
    rest: str = ""  # text after a bold or KEY label's colon
    end_line: int = 0
    empty: bool = True
    no_response: bool = False


@dataclass(slots=True)
class Document:
    """A normalised body with its sections and classified lines.

    Blank lines get no ``Line`` (most lines of a long body are blank): ``lines`` holds the
    others in document order, and ``line_count`` counts every line.
    """

    norm: Normalised
    lines: list[Line]
    sections: list[SectionSpan]
    line_count: int = 0
    folded_lines: list[str] = field(default_factory=list)
    no_response_fields: list[int] = field(default_factory=list)
    code_sections: set[int] = field(default_factory=set)  # sections holding fenced code
    classified: list[Line] = field(default_factory=list)
    # Set by the gate before its rules run (bot.spec._kind.judge, RUBRIC v0.2 section 0).
    kind: str = "feature"
    anchored: bool = False
    reported: bool = False  # a bug's reproduction and expected result, a performance report
    reported_measurable: bool = False  # ... holding exact text, a command or figures

    def content(self) -> list[Line]:
        """Lines that carry X, R or C content (computed once by ``analyse``)."""
        return self.classified

    def section_of(self, line: Line) -> SectionSpan:
        """The section a line belongs to."""
        return self.sections[line.section]

    def has_section(self, *kinds: SectionKind) -> bool:
        """True when a non-empty section of one of these kinds exists."""
        return any(s.kind in kinds and not s.empty for s in self.sections)


def analyse(body: str | bytes | None) -> Document:
    """Normalise, split into sections, classify lines and compute signals."""
    norm = normalise(body)
    doc = Document(norm, [], [SectionSpan(SectionKind.PREAMBLE, "", "preamble", 0, 0)])
    _split_sections(doc)
    _classify(doc)
    _find_gherkin(doc)
    if not any(line.cls == "C" for line in doc.classified):
        _fallback_statements(doc)
    return doc


def _split_sections(doc: Document) -> None:
    heading = ""
    heading_line = 0
    norm = doc.norm
    in_fence, add_line = norm.in_fence, doc.lines.append
    folded_lines = doc.folded_lines = lx.fold_lines(norm.content_lines)
    section = 0  # index of the open section
    for index, text in enumerate(norm.content_lines):
        number = index + 1
        if not text or text.isspace():  # never a header; only fenced code can answer a section
            if in_fence[index] and _WORD.search(norm.raw_lines[index]):
                doc.code_sections.add(section)
            continue
        header = None
        if not in_fence[index] and (text[0] in "#* " or ":" in text[:61]):
            header = detect_header(text)
        if header is None:
            add_line(Line(number, text, folded_lines[index], section, heading, heading_line))
            continue
        if header.form == "heading":
            heading, heading_line = fold(header.title), number
        current = doc.sections[-1]
        nested = header.kind is None and current.kind not in (
            SectionKind.OTHER,
            SectionKind.PREAMBLE,
        )
        # "In scope: ..." inside a Scope section continues it instead of opening a twin.
        same_label = header.form != "heading" and header.kind is current.kind
        if not (nested and header.level > current.level) and not same_label:
            kind = header.kind or SectionKind.OTHER
            current.end_line = number - 1
            doc.sections.append(
                SectionSpan(kind, header.title, header.form, number, header.level, header.rest)
            )
        rest = header.rest
        section = len(doc.sections) - 1
        line = Line(number, rest, lx.fold_text(rest), section, heading, heading_line, header=header)
        add_line(line)
    doc.line_count = len(norm.content_lines)
    doc.sections[-1].end_line = doc.line_count


def is_empty_marker(text: str) -> bool:
    """True for '_No response_', 'N/A', 'none', '-', 'ninguno' and bare checkboxes."""
    stripped = text.strip()
    if len(stripped) > 16:
        return False
    return fold(stripped).strip("*. ") in _EMPTY_MARKERS or bool(_BARE_CHECKBOX.match(stripped))


def criterion_text(text: str) -> str:
    """A criterion line without its bullet, number or checkbox."""
    return _BULLET.sub("", text, count=1).strip()


def _classify(doc: Document) -> None:
    answered = set(doc.code_sections)
    no_response: set[int] = set()
    in_fence, raw_lines = doc.norm.in_fence, doc.norm.raw_lines
    for line in doc.lines:
        text = line.text
        index = line.number - 1
        if in_fence[index] and _WORD.search(raw_lines[index]):
            answered.add(line.section)  # code belongs to its section: not empty
        if not text or text.isspace():
            continue
        if is_empty_marker(text):
            if fold(text.strip()) == NO_RESPONSE:
                no_response.add(line.section)
                doc.no_response_fields.append(line.heading_line or line.number)
            continue
        if not _WORD.search(text):
            continue
        answered.add(line.section)
        _classify_line(doc, line)
    doc.classified = [line for line in doc.lines if line.cls]
    signals = line_signals([line.folded for line in doc.classified])
    for line, (sentences, hits, m_kinds) in zip(doc.classified, signals, strict=True):
        line.sentences, line.hits, line.m_kinds = sentences, hits, m_kinds
    for number, section in enumerate(doc.sections):
        section.empty = number not in answered
        section.no_response = section.empty and number in no_response


def _classify_line(doc: Document, line: Line) -> None:
    kind = doc.sections[line.section].kind
    if kind in X_SECTIONS:
        line.cls = "X"
        return
    task = _TASK_ITEM.match(line.text)
    if task and _is_meta(line.folded, line.heading):
        return
    line.first_word = _first_word(line.folded)
    if task:
        line.cls, line.criterion, line.checked = "C", "checklist", task.group(1) != " "
    elif kind in C_SECTIONS:
        line.cls, line.criterion = "C", "section"
    elif _is_ears(line.folded, line.first_word):
        line.cls, line.criterion = "C", "ears"
    else:
        line.cls = "R"


def _is_meta(folded_line: str, heading: str) -> bool:
    folded = _BULLET.sub("", folded_line, count=1).lstrip("*_ ")
    return folded.startswith(_META_PREFIXES) or any(word in heading for word in _META_HEADINGS)


def _first_word(folded: str) -> str:
    match = _FIRST_WORD.match(folded)
    return match.group(1) if match else ""


def _is_ears(folded: str, first_word: str) -> bool:
    if first_word not in _EARS_OPENERS:
        return False
    return not _EARS_MODALS.isdisjoint(lx.tokenize(folded))


def _find_gherkin(doc: Document) -> None:
    block: list[Line] = []
    for line in doc.lines:
        if block and block[-1].number != line.number - 1:  # a blank line ends a block
            _mark_gherkin(block)
            block = []
        scenario_line = line.cls == "R" or (line.cls == "C" and line.criterion != "ears")
        keyword = line.first_word if scenario_line else ""
        if keyword in _GHERKIN_KEYWORDS:
            block.append(line)
            continue
        if block:
            _mark_gherkin(block)
            block = []
        if line.cls == "R" and _is_one_line_scenario(line.folded):
            line.cls, line.criterion = "C", "gherkin"
    if block:
        _mark_gherkin(block)


def _is_one_line_scenario(folded: str) -> bool:
    if "given" not in folded and "dad" not in folded:
        return False
    words = set(lx.tokenize(folded))
    return not words.isdisjoint(_GHERKIN_GIVEN) and not words.isdisjoint(_GHERKIN_THEN)


def _mark_gherkin(block: list[Line]) -> None:
    keywords = {line.first_word for line in block}
    if len(block) == 1 and _is_one_line_scenario(block[0].folded):
        block[0].cls, block[0].criterion = "C", "gherkin"
        return
    if keywords.isdisjoint(_GHERKIN_THEN) or keywords.isdisjoint(_GHERKIN_GIVEN | _GHERKIN_WHEN):
        return
    for line in block:
        line.cls, line.criterion = "C", "gherkin"


def _fallback_statements(doc: Document) -> None:
    """RUBRIC 4(e): with no other criterion, a modal sentence with a figure is one.

    v0.2 (section 0.3): so is a modal sentence that states an observable outcome ("they
    should return a 404", "it should skip empty lines").
    """
    for line in doc.classified:
        if line.cls != "R" or lx.MODAL_CRITERION not in line.hits:
            continue
        if any(
            lx.MODAL_CRITERION in s.hits and (s.measurable or lx.OUTCOME in s.hits)
            for s in line.sentences
        ):
            line.cls, line.criterion = "C", "statement"
