"""Word lists of RUBRIC.md v0.2 section 0: kinds, failure clauses, outcomes, failure surface.

Kept apart from the v0.1 lists in ``_lexicon`` (which merges them into its one index): each
name is a lexicon the rules ask for by name, with its (English, Spanish) entries.
"""

from __future__ import annotations

BAD_INPUT = "BAD_INPUT"
RESPONSE = "RESPONSE"
GUARD = "GUARD"
BUG_CUE = "BUG"
DEFECT_CUE = "DEFECT"
EXPECT_CUE = "EXPECT"
NO_CHANGE = "NO_CHANGE"
PERF_CHANGE = "PERF_CHANGE"
CHORE_CUE = "CHORE"
OUTCOME = "OUTCOME"
SURFACE = "SURFACE"

KIND_LEXICONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # v0.2 (RUBRIC 0.6): bad input an EARS clause handles, and the responses that handle it.
    BAD_INPUT: (
        ("empty", "negative", "unknown", "invalid", "missing", "malformed", "timeout",
         "does not exist", "doesn't exist", "non-existent", "nonexistent", "not found",
         "too long", "too large", "out of range", "unsupported", "blank", "zero", "fail",
         "error", "unreadable", "duplicate"),
        ("vacio", "vacia", "negativo", "desconocido", "invalido", "invalida", "falta"),
    ),
    RESPONSE: (
        ("raise", "throw", "exit", "print", "refuse", "reject", "unchanged", "untouched",
         "quit", "warn", "error message", "status code", "exit code", "exit status", "abort",
         "return", "show", "display", "respond", "log", "skip", "stop"),
        ("lanza", "rechaza", "muestra", "devuelve", "sin cambios"),
    ),
    GUARD: (
        ("if no errors", "if no error", "no errors occur", "no error occurs", "unless",
         "on failure", "on error", "in case of failure", "in case of error", "only if",
         "only when"),
        ("salvo que", "a menos que", "en caso de error"),
    ),
    BUG_CUE: (
        ("a bug", "the bug", "this bug", "bug report", "traceback", "stack trace",
         "stacktrace", "reproduce", "reproducer", "reproduction", "regression", "crash",
         "crashes", "crashed", "false positive", "false negative", "does not work",
         "doesn't work", "is broken", "would have expected", "expected to see", "i expected",
         "expected behavior", "expected behaviour", "actual behavior", "actual behaviour",
         "observed", "so far it"),
        ("reproducir", "regresion"),
    ),
    DEFECT_CUE: (
        # ("extra columns are ignored" is a requirement, so "ignored" is not a defect here)
        ("ignores the", "flag is ignored", "option is ignored", "setting is ignored",
         "even if", "even when", "even though", "crash",
         "crashes", "regression", "does not work", "doesn't work", "is broken",
         "false positive", "false negative", "wrongly", "incorrectly", "should not",
         "shouldn't"),
        ("ignora", "en lugar de"),
    ),
    EXPECT_CUE: (
        ("should", "must", "expected", "expect", "want", "wanted", "instead", "rather than",
         "better if", "shall", "needs to"),
        ("deberia", "debe", "esperado", "en lugar de"),
    ),
    NO_CHANGE: (
        ("no behaviour change", "no behavior change", "no functional change",
         "no functional changes", "without changing behaviour", "without changing behavior",
         "preserve current behavior", "preserve current behaviour", "behaviour unchanged",
         "behavior unchanged", "no user-visible change", "no user visible change"),
        ("sin cambio de comportamiento",),
    ),
    CHORE_CUE: (
        ("rename", "upgrade", "bump", "refactor", "refactoring", "update dependency",
         "update dependencies", "deprecate", "clean up", "cleanup", "remove unused", "typo",
         "document", "documentation", "reformat", "move"),
        ("renombrar", "actualizar dependencias", "refactorizar"),
    ),
    PERF_CHANGE: (
        ("before", "after", "regression", "regressed", "slower", "slowdown", "speedup",
         "median", "was", "baseline"),
        ("antes", "despues", "regresion", "mediana"),
    ),
    OUTCOME: (
        ("return", "show", "display", "print", "output", "exit", "raise", "respond", "report",
         "load", "use", "skip", "quit", "reject", "render", "emit", "list", "include",
         "accept", "work", "lint", "flag", "warn", "log", "read", "write", "keep", "remind",
         "tell", "be"),
        ("devolver", "mostrar", "devuelve", "muestra"),
    ),
    # What can fail in a spec (RUBRIC v0.2 ERR-001): inputs, external calls, stored data.
    SURFACE: (
        ("input", "upload", "form", "field", "payload", "query", "argument", "parameter",
         "file", "request", "import", "save", "submit", "delete", "network", "api", "fetch",
         "download", "parse", "password", "login", "payment", "checkout"),
        ("entrada", "formulario", "campo", "archivo", "guardar", "enviar"),
    ),
}  # fmt: skip

__all__ = [
    "BAD_INPUT", "BUG_CUE", "CHORE_CUE", "DEFECT_CUE", "EXPECT_CUE", "GUARD", "KIND_LEXICONS",
    "NO_CHANGE", "OUTCOME", "PERF_CHANGE", "RESPONSE", "SURFACE",
]  # fmt: skip
