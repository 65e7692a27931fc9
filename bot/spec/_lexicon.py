"""Word lists of the rubric (RUBRIC.md sections 4-5) and a linear-time phrase matcher.

Text is folded (lowercase, accents stripped) and split into word tokens once; every lexicon is
matched in one pass through a dictionary keyed by a phrase's first word, so adding words never
slows matching down and no regular expression can backtrack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.spec import _lexicon_kinds as _kinds

# The v0.2 lexicons (bot.spec._lexicon_kinds): rules read every lexicon name from here.
BAD_INPUT = _kinds.BAD_INPUT
BUG_CUE = _kinds.BUG_CUE
CHORE_CUE = _kinds.CHORE_CUE
DEFECT_CUE = _kinds.DEFECT_CUE
EXPECT_CUE = _kinds.EXPECT_CUE
GUARD = _kinds.GUARD
NO_CHANGE = _kinds.NO_CHANGE
OUTCOME = _kinds.OUTCOME
PERF_CHANGE = _kinds.PERF_CHANGE
RESPONSE = _kinds.RESPONSE
SURFACE = _kinds.SURFACE
V = "V"
T = "T"
RV = "RV"
U = "U"
INPUT_CUE = "INPUT"
SCOPE_CUE = "SCOPE"
OUTPUT_CUE = "OUTPUT"
COLLECTION_CUE = "COLLECTION"
EMPTY_CUE = "EMPTY"
CURRENT_CUE = "CURRENT"
REF_CUE = "REF"
ESCAPE = "ESCAPE"
EXTERNAL = "EXTERNAL"
RETRY_POLICY = "RETRY_POLICY"
RETRY = "RETRY"
MUTATION = "MUTATION"
PRESERVE = "PRESERVE"
UNBOUNDED = "UNBOUNDED"
BASELINE = "BASELINE"
MODAL = "MODAL"
MODAL_CRITERION = "MODAL_C"
TECH = "TECH"
TECH_VERB = "TECH_VERB"
NEGATION = "NEGATION"

_RETRY_FORMS = ("retry", "retries", "retried", "retrying", "re-try", "reintentar", "reintenta",
                "reintento", "reintentos", "reintentara", "reintentamos")  # fmt: skip
_NOTIFY_FORMS = ("notify", "notifies", "notified", "notification", "notifications")

# (English entries, Spanish entries). English single words get inflections (see _inflect),
# except the vague list, whose forms the rubric enumerates (clean -> cleaned is not vague).
LEXICONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    V: (
        ("fast", "faster", "quick", "quickly", "speedy", "slow", "slowly", "snappy",
         "responsive", "instant", "instantly", "immediate", "immediately", "real-time",
         "seamless", "seamlessly", "smooth", "smoothly", "user-friendly", "intuitive", "easy",
         "easily", "simple", "clean", "nice", "good", "better", "best", "great", "modern",
         "sleek", "improve", "improved", "improves", "improvement", "enhance", "enhanced",
         "optimise", "optimize", "optimised", "optimized", "optimal", "efficient",
         "efficiently", "robust", "scalable", "reliable", "stable", "secure", "securely",
         "performant", "appropriate", "appropriately", "adequate", "adequately", "sufficient",
         "sufficiently", "reasonable", "significant", "significantly", "minimal", "asap",
         "as soon as possible", "high-quality", "lightweight", "large", "small", "huge",
         "graceful", "gracefully", "properly", "as expected", "work correctly",
         "works correctly", "timely", "several", "many", "few",
         # v0.2: the adjectives of "a more informative error" requests
         "informative", "helpful", "meaningful", "clearer", "friendlier", "nicer", "neat",
         "snappier"),
        ("rapido", "rapida", "rapidos", "rapidas", "rapidamente", "lento", "lenta", "facil",
         "facilmente", "intuitivo", "intuitiva", "amigable", "sencillo", "sencilla", "fluido",
         "fluida", "mejor", "mejorar", "optimizar", "eficiente", "robusto", "robusta",
         "escalable", "adecuado", "adecuada", "suficiente", "razonable", "lo antes posible",
         "de inmediato", "inmediatamente", "en tiempo real", "moderno", "moderna", "limpio",
         "limpia"),
    ),
    T: (
        ("error", "fail", "failure", "timeout", "time out", "times out", "timed out",
         "unavailable", "unreachable", "offline", "invalid", "malformed", "rejected", "denied",
         "forbidden", "unauthorized", "unauthorised", "not found", "conflict", "expired",
         "corrupt", "corrupted", "exception", "crash", "rate limit", "rate limited", "quota",
         "exceed", "too large", "missing"),
        ("error", "errores", "falla", "fallo", "fallido", "fallida", "tiempo de espera",
         "no disponible", "invalido", "invalida", "rechazado", "rechazada", "excede"),
    ),
    RV: (
        ("show", "display", "return", "respond", *_RETRY_FORMS[:5], "log", "keep", "kept",
         "preserve", "retain", "fall back", "falls back", "fallback", "notify", "notified",
         "alert", "redirect", "abort", "roll back", "rolls back", "rollback", "queue", "skip",
         "surface", "disable", "highlight", "reject",
         # v0.2: raising, exiting, printing and refusing are responses too
         "raise", "throw", "exit", "print", "refuse", "unchanged", "untouched", "quit"),
        ("muestra", "mostrar", "muestre", "devuelve", "devolver", "responde", "reintenta",
         "reintentar", "registra", "registrar", "conserva", "mantiene", "notifica", "redirige"),
    ),
    U: (
        ("show", "display", "message", "toast", "banner", "dialog", "inline error",
         "error page", "status code", "exit code", "email", *_NOTIFY_FORMS, "alert",
         "raise", "exit", "print", "exit status", "exception"),
        ("muestra", "mostrar", "muestre", "mensaje", "aviso"),
    ),
    INPUT_CUE: (
        ("input", "accept", "take", "parameter", "field", "form", "upload", "payload",
         "query", "argument", "flag"),
        ("entrada", "recibe", "campo", "formulario", "parametro", "parametros"),
    ),
    SCOPE_CUE: (
        ("out of scope", "not in scope", "non-goal", "non-goals", "will not", "won't",
         "excluded", "only applies to", "limited to"),
        ("fuera de alcance", "no incluye"),
    ),
    OUTPUT_CUE: (
        ("return", "display", "show", "output", "produce", "render", "respond"),
        ("muestra", "devuelve", "mostrar", "devolver"),
    ),
    COLLECTION_CUE: (
        ("list", "result", "search", "table", "feed", "inbox", "history", "grid", "queue"),
        ("lista", "resultados", "busqueda"),
    ),
    EMPTY_CUE: (
        ("empty", "no results", "zero", "none found", "nothing to show", "0 items"),
        ("vacio", "vacia", "sin resultados", "no hay"),
    ),
    CURRENT_CUE: (
        ("currently", "today", "at present", "right now", "existing", "already", "as-is"),
        ("actualmente", "hoy", "existente"),
    ),
    REF_CUE: (
        ("as discussed", "per our call", "per our meeting", "per our thread", "see slack",
         "in slack", "on slack", "like last time", "as last time", "same as before",
         "the usual way", "the usual place", "as mentioned earlier"),
        ("como hablamos", "como siempre", "igual que antes"),
    ),
    ESCAPE: (
        ("if possible", "where possible", "as appropriate", "as needed", "as required",
         "if necessary", "to the extent possible", "when feasible", "etc", "and so on",
         "including but not limited to", "among others"),
        ("si es posible", "segun sea necesario", "entre otros"),
    ),
    EXTERNAL: (
        ("third-party", "external", "api", "webhook", "network", "upstream", "provider",
         "gateway", "payment", "email provider", "fetch from"),
        ("externo", "externa", "proveedor", "pasarela"),
    ),
    RETRY_POLICY: (
        (*_RETRY_FORMS[:5], "timeout", "time out", "times out", "backoff", "back off",
         "attempt", "circuit breaker"),
        (*_RETRY_FORMS[5:], "tiempo de espera", "intentos"),
    ),
    RETRY: (_RETRY_FORMS[:5], _RETRY_FORMS[5:]),
    MUTATION: (
        ("save", "submit", "upload", "import", "edit", "create", "delete", "form", "draft",
         "checkout", "payment"),
        ("guardar", "enviar", "subir", "importar"),
    ),
    PRESERVE: (
        ("not lost", "never lost", "not be lost", "never be lost", "never lose",
         "no data loss", "preserve", "retain", "keep the", "keeps the", "keep their",
         "keeps their", "keep user", "keeps user", "kept", "restore", "idempotent",
         "roll back", "rolls back", "rollback", "atomic", "transaction"),
        ("se conserva", "no se pierde", "se mantiene", "conserva"),
    ),
    UNBOUNDED: (
        ("until", "indefinitely", "forever", "infinite", "infinitely", "endlessly",
         "keep retrying"),
        ("sin limite", "indefinidamente"),
    ),
    BASELINE: (("currently", "today", "now", "baseline"), ("actualmente", "hoy")),
    MODAL: (("must", "shall", "should", "will", "needs to"), ("debe", "deben")),
    MODAL_CRITERION: (
        ("must", "shall", "will", "should", "needs to", "has to", "expected to"),
        ("debe", "deben", "tiene que"),
    ),
    TECH: (
        ("redis", "memcached", "kafka", "rabbitmq", "sqs", "postgres", "postgresql", "mysql",
         "mongodb", "dynamodb", "elasticsearch", "graphql", "grpc", "websocket", "websockets",
         "react", "react query", "redux", "vue", "angular", "next.js", "nextjs", "express",
         "django", "flask", "fastapi", "rails", "lodash", "axios", "jquery", "moment",
         "tailwind", "celery", "sidekiq"),
        (),
    ),
    TECH_VERB: (
        ("use", "using", "switch to", "migrate to", "implement with", "build with", "add",
         "install", "introduce"),
        ("usar", "utilizar", "migrar a"),
    ),
    NEGATION: (("not", "no", "never", "without", "don't", "doesn't"), ("sin", "nunca")),
}  # fmt: skip

LEXICONS.update(_kinds.KIND_LEXICONS)

_NO_INFLECTION = frozenset(
    {V, TECH, NEGATION, MODAL, MODAL_CRITERION, BASELINE, GUARD, PERF_CHANGE, EXPECT_CUE}
)

_TOKEN = re.compile(r"\w+(?:[.']\w+)*")
# On ASCII text \w means the same in both modes, and the ASCII one is faster to test.
_ASCII_TOKEN = re.compile(_TOKEN.pattern, re.ASCII)
_COMBINING = re.compile("[\u0300-\u036f]")
# Accented Latin letters and combining marks: the only characters folding must decompose.
_NEEDS_DECOMPOSITION = re.compile("[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


def fold_text(text: str) -> str:
    """Lowercase, accents stripped, typographic apostrophes made ASCII (linear, in C)."""
    if text.isascii():
        return text.lower()
    import unicodedata

    folded = text.casefold().replace("\u2019", "'")
    if not _NEEDS_DECOMPOSITION.search(folded):
        return folded
    return _COMBINING.sub("", unicodedata.normalize("NFD", folded))


def fold_lines(lines: Sequence[str]) -> list[str]:
    """Each line exactly as ``fold_text`` folds the joined lines, but faster.

    One character outside ASCII widens a whole joined text, and case folding it then costs
    several times what lower-casing its ASCII lines costs; ``isascii`` is free for each line.
    Whether to decompose accents stays one decision for the whole text, as in ``fold_text``.
    """
    folded = [
        line.lower() if line.isascii() else line.casefold().replace("\u2019", "'") for line in lines
    ]
    # Decomposing ASCII changes nothing: only the lines still wide after case folding matter.
    wide = [index for index, line in enumerate(folded) if not line.isascii()]
    if any(_NEEDS_DECOMPOSITION.search(folded[index]) for index in wide):
        import unicodedata

        for index in wide:
            folded[index] = _COMBINING.sub("", unicodedata.normalize("NFD", folded[index]))
    return folded


def tokenize(folded: str) -> list[str]:
    """Word tokens of folded text; hyphens split words (real-time -> real, time)."""
    return (_ASCII_TOKEN if folded.isascii() else _TOKEN).findall(folded)


def _inflect(word: str) -> set[str]:
    """Forms the rubric accepts: -s/-es/-d/-ed/-n/-ing (save -> saving, retry -> retried)."""
    forms = {word, word + "s", word + "es", word + "d", word + "ed", word + "n", word + "ing"}
    forms.update({word + word[-1] + "ed", word + word[-1] + "ing"})  # log -> logged, logging
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if word.endswith("y"):
        forms.update({word[:-1] + "ies", word[:-1] + "ied"})
    return forms


def _phrases(lexicon: str, entries: Iterable[str], inflect: bool) -> set[tuple[str, ...]]:
    phrases: set[tuple[str, ...]] = set()
    for entry in entries:
        words = tuple(tokenize(fold_text(entry)))
        if inflect and len(words) == 1 and words[0].isalpha():
            phrases.update((form,) for form in _inflect(words[0]))
        else:
            phrases.add(words)
    return phrases


def _phrases_of_index() -> list[tuple[str, ...]]:
    """Every phrase of the index, as its words."""
    return [(word, *rest) for word, entries in _INDEX.items() for _, rest in entries]


def _build_index() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for name, (english, spanish) in LEXICONS.items():
        inflect = name not in _NO_INFLECTION
        phrases = _phrases(name, english, inflect) | _phrases(name, spanish, False)
        for phrase in sorted(phrases):
            index.setdefault(phrase[0], []).append((name, phrase[1:]))
    return index


_INDEX = _build_index()
# Single-word phrases by word, for the fast path of lexicon_hits.
_SINGLE: dict[str, frozenset[str]] = {
    word: frozenset(name for name, rest in entries if not rest) for word, entries in _INDEX.items()
}
_MULTI: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    word: [(name, rest) for name, rest in entries if rest]
    for word, entries in _INDEX.items()
    if any(rest for _, rest in entries)
}


def match_positions(tokens: Sequence[str]) -> list[tuple[int, int, str]]:
    """Every lexicon phrase in the tokens as (start, length, lexicon)."""
    found: list[tuple[int, int, str]] = []
    index = _INDEX
    for position in [i for i, token in enumerate(tokens) if token in index]:
        for name, rest in index[tokens[position]]:
            end = position + 1 + len(rest)
            if not rest or tuple(tokens[position + 1 : end]) == rest:
                found.append((position, 1 + len(rest), name))
    return found


# Every word of every phrase: one set intersection in C finds the few a sentence holds.
_PHRASE_WORDS = frozenset(word for phrase in _phrases_of_index() for word in phrase)
_SINGLE_OF_WORD: dict[str, frozenset[str]] = {
    word: _SINGLE.get(word, frozenset()) for word in _PHRASE_WORDS
}
# Multi-word phrases by first word, with all their words for a quick subset check.
_MULTI_WORDS: dict[str, list[tuple[str, tuple[str, ...], frozenset[str]]]] = {
    word: [(name, rest, frozenset((word, *rest))) for name, rest in entries]
    for word, entries in _MULTI.items()
}
_MULTI_FIRST_WORDS = frozenset(_MULTI)
_NO_HITS: frozenset[str] = frozenset()


# What a set of lexicon words settles: the lexicons of its single-word phrases, and the
# multi-word phrases (of other lexicons) whose words all occur, so only their order is left to
# check in the tokens. Sentences draw on few distinct sets of lexicon words, so each set is
# worked out once, and most sentences then need no per-phrase work at all.
_Plan = tuple[frozenset[str], tuple[tuple[str, str, tuple[str, ...]], ...]]
_PLANS: dict[frozenset[str], _Plan] = {}


def _plan(present: frozenset[str]) -> _Plan:
    if len(_PLANS) > 4096:
        _PLANS.clear()
    single = _SINGLE_OF_WORD
    names: frozenset[str] = frozenset().union(*[single[word] for word in present])
    phrases = tuple(
        (word, name, rest)
        for word in _MULTI_FIRST_WORDS.intersection(present)
        for name, rest, words in _MULTI_WORDS[word]
        if name not in names and words <= present
    )
    plan = _PLANS[present] = (names, phrases)
    return plan


def lexicon_hits(tokens: Sequence[str]) -> frozenset[str]:
    """The names of the lexicons that occur in the tokens."""
    present = _PHRASE_WORDS.intersection(tokens)
    if not present:
        return _NO_HITS
    names, phrases = _PLANS.get(present) or _plan(present)
    if not phrases:
        return names
    extra: set[str] = set()
    for word, name, rest in phrases:
        if name not in extra and _has_phrase(tokens, word, rest):
            extra.add(name)
    return names | extra if extra else names


def _has_phrase(tokens: Sequence[str], first: str, rest: tuple[str, ...]) -> bool:
    """True when ``first`` is followed by the words of ``rest`` somewhere in the tokens."""
    end = len(rest) + 1
    return any(
        token == first and tuple(tokens[i + 1 : i + end]) == rest for i, token in enumerate(tokens)
    )
