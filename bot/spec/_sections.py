"""Section headers: the three header forms and the canonical aliases (RUBRIC.md section 3)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, NamedTuple

from bot.spec._lexicon import fold_text
from bot.spec._model import SectionKind

K = SectionKind
# Folded (lowercase, no accents) aliases. Entries after "# +" are additions to the rubric's
# table (specs/GATE.md): bug-report and performance-change headings users actually write.
ALIASES: dict[SectionKind, tuple[str, ...]] = {
    K.CONTEXT: (
        "context", "background", "where", "location", "problem", "motivation",
        "additional context", "contexto", "antecedentes", "ubicacion", "problema",
        # +
        "problem statement", "why", "por que",
    ),
    K.CURRENT_STATE: (
        "current state", "current behavior", "current behaviour", "as-is", "today",
        "estado actual", "situacion actual", "comportamiento actual",
        # +
        "actual behavior", "actual behaviour", "actual result", "baseline", "linea base",
        # v0.2: what a bug report observed is context, not a criterion
        "actual results", "observed results", "observed result", "observed behavior",
        "observed behaviour", "resultado observado",
    ),
    K.REQUIREMENT: (
        "requirement", "requirements", "functional requirements", "feature", "description",
        "summary", "proposal", "proposed solution", "user story", "user stories", "goal",
        "requisito", "requisitos", "requerimiento", "requerimientos", "descripcion",
        "historia de usuario", "objetivo",
        # +
        "goals", "resumen", "change", "fix", "proposed change", "solucion propuesta",
    ),
    K.BEHAVIOR: (
        "behavior", "behaviour", "flow", "user flow", "interaction", "comportamiento", "flujo",
        # +
        "steps to reproduce", "reproduction steps", "pasos para reproducir", "user scenarios",
    ),
    K.INPUT: (
        "input", "inputs", "parameters", "request", "entrada", "entradas", "parametros",
    ),
    K.SCOPE: (
        "scope", "in scope", "out of scope", "non-goals", "boundaries", "alcance",
        "fuera de alcance",
        # +
        "non goals",
    ),
    K.EMPTY_STATE: (
        "empty state", "empty states", "zero state", "no results", "estado vacio",
        "sin resultados",
    ),
    K.SCORING_LOGIC: (
        "scoring logic", "scoring", "ranking", "business rules", "logica de puntuacion",
        "reglas",
    ),
    K.TRIGGER: ("trigger", "triggers", "activation", "disparador", "activador"),
    K.ERROR_HANDLING: (
        "error handling", "errors", "error states", "failure modes", "failures",
        "manejo de errores", "errores", "gestion de errores",
        # +
        "error cases", "failure handling", "casos de error",
    ),
    K.EDGE_CASES: (
        "edge case", "edge cases", "corner cases", "casos limite", "casos borde",
    ),
    K.RESULTS: (
        "results", "output", "outputs", "expected result", "expected results", "response",
        "resultado", "resultados", "salida",
        # +
        "expected behavior", "expected behaviour", "comportamiento esperado",
        "resultado esperado",
    ),
    K.ACCEPTANCE: (
        "acceptance criteria", "success criteria", "measurable outcomes", "definition of done",
        "done when", "criterios de aceptacion", "criterios de exito",
        # +
        "acceptance", "aceptacion",
    ),
    K.TESTING: (
        "testing", "tests", "test plan", "verification", "pruebas", "verificacion",
        # +
        "how to verify",
    ),
    K.PERFORMANCE: (
        "performance", "non-functional requirements", "nfr", "latency", "sla", "slo",
        "rendimiento", "desempeno",
        # +
        "performance requirements", "performance targets", "performance target",
        "non functional requirements", "requisitos de rendimiento",
    ),
    K.DATA_SOURCES: (
        "data source", "data sources", "data", "fuentes de datos", "datos",
    ),
    K.TECHNICAL_CONSTRAINTS: (
        "technical constraints", "constraints", "assumptions", "restricciones tecnicas",
        "restricciones", "supuestos",
    ),
}  # fmt: skip

X_SECTIONS = frozenset({K.CONTEXT, K.CURRENT_STATE, K.DATA_SOURCES, K.TECHNICAL_CONSTRAINTS})
C_SECTIONS = frozenset({K.RESULTS, K.ACCEPTANCE, K.TESTING, K.PERFORMANCE})

_ALIAS_TO_KIND: dict[str, SectionKind] = {
    alias: kind for kind, aliases in ALIASES.items() for alias in aliases
}
_MAX_ALIAS_WORDS = max(len(alias.split()) for alias in _ALIAS_TO_KIND)
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*[.)]?\s+")
_QUALIFIER = re.compile(r"\((?:optional|required|mandatory|opcional|obligatorio)\)")
_NOT_LABEL_CHAR = re.compile(r"[^\w\s-]")
_MAX_LABEL = 120


def fold(text: str) -> str:
    """Lowercase and strip accents (vacío -> vacio), as every lexicon match does."""
    return fold_text(text)


def normalise_label(label: str) -> str:
    """A header label as the alias table spells it: folded, no numbering, emoji or markup."""
    folded = fold(label[:_MAX_LABEL]).replace("_", " ")
    folded = _QUALIFIER.sub(" ", folded)
    folded = _NOT_LABEL_CHAR.sub(" ", folded)
    folded = _NUMBERING.sub("", folded.strip())
    return " ".join(word.strip("-") for word in folded.split() if word.strip("-"))


@lru_cache(maxsize=4096)  # labels repeat: a long body asks about the same few many times
def kind_of_label(label: str, *, heading: bool) -> SectionKind | None:
    """The canonical kind a label names; headings may also contain an alias as whole words."""
    normal = normalise_label(label)
    exact = _ALIAS_TO_KIND.get(normal)
    if exact is not None or not heading:
        return exact
    words = normal.split()
    best: tuple[int, SectionKind] | None = None
    for size in range(min(_MAX_ALIAS_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            kind = _ALIAS_TO_KIND.get(" ".join(words[start : start + size]))
            candidate_len = sum(len(w) for w in words[start : start + size]) + size - 1
            if kind is not None and (best is None or candidate_len > best[0]):
                best = (candidate_len, kind)
    return best[1] if best else None


HeaderKindForm = Literal["heading", "bold", "key"]


class Header(NamedTuple):
    """A header line: its form, label, heading level (7 for bold/KEY) and text after the colon."""

    # A named tuple: immutable like a frozen dataclass, and about three times cheaper to
    # build (a long body has thousands of headings).
    form: HeaderKindForm
    title: str
    level: int
    rest: str
    kind: SectionKind | None


_LIST_START = re.compile(r"(?:[-*+]\s|\d+[.)]\s)")


def detect_header(line: str) -> Header | None:
    """The header a content line opens, if any (string operations only: no backtracking)."""
    heading = _atx_heading(line)
    if heading is not None:
        level, title = heading
        return Header("heading", title, level, "", kind_of_label(title, heading=True))
    if line.startswith("**"):
        return _bold_label(line)
    if line[:1].isspace() or not line or _LIST_START.match(line):
        return None
    colon = line.find(":", 0, 61)
    if colon <= 0:
        return None
    kind = kind_of_label(line[:colon], heading=False)
    if kind is None:
        return None
    return Header("key", line[:colon].strip(), 7, line[colon + 1 :].strip(), kind)


def _atx_heading(line: str) -> tuple[int, str] | None:
    body = line.lstrip(" ")
    if len(line) - len(body) > 3 or not body.startswith("#"):
        return None
    level = len(body) - len(body.lstrip("#"))
    after = body[level:]
    if level > 6 or (after and after[0] not in " \t"):
        return None
    title = after.strip()
    closed = title.rstrip("#")
    if closed != title and (closed == "" or closed[-1] in " \t"):
        title = closed.rstrip()
    return level, title


def _bold_label(line: str) -> Header | None:
    close = line.find("**", 2, 2 + _MAX_LABEL)
    if close <= 2:
        return None
    label = line[2:close].strip()
    rest = line[close + 2 :].strip()
    if label.endswith(":"):
        label = label[:-1].strip()
    elif rest.startswith(":"):
        rest = rest[1:].strip()
    kind = kind_of_label(label, heading=False)
    if kind is None:
        return None
    return Header("bold", label, 7, rest, kind)
