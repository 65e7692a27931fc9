"""Signals of RUBRIC.md section 4: measurable tokens (M), location anchors (L), sentences.

Every pattern is linear: no nested quantifiers and bounded repeats. Patterns start with a
literal or a digit so the regex engine can skip ahead; whether a match starts a token is
checked in Python on the (few) matches instead of by a look-behind at every character.
"""

from __future__ import annotations

import re

from bot.spec._lexicon import word_set

_DURATION_UNITS = (
    r"ms|msec|millisecond|milliseconds|s|sec|secs|second|seconds|min|mins|minute|minutes|h|hr|"
    r"hrs|hour|hours|day|days|week|weeks|segundo|segundos|minuto|minutos|hora|horas|dia|dias|"
    r"semana|semanas"
)
_OTHER_UNITS = (
    r"%|kb|mb|gb|tb|px|fps|rps|qps|req/s|requests?|items?|results?|rows?|records?|characters?|"
    r"chars?|attempts?|retries|times|users?|files?|pages?|clicks?|steps?|entries|emails?|"
    r"elementos?|resultados?|filas?|intentos?|veces|caracteres|usuarios?|archivos?|registros?"
)
_REASON = (
    r"ok|created|accepted|no content|moved permanently|found|not modified|bad request|"
    r"unauthori[sz]ed|payment required|forbidden|not found|method not allowed|conflict|gone|"
    r"payload too large|content too large|unprocessable(?: entity| content)?|too many requests|"
    r"internal server error|bad gateway|service unavailable|gateway timeout"
)
_COMPARATOR_WORDS = (
    r"at most|at least|no more than|no fewer than|no less than|fewer than|less than|more than|"
    r"up to|within|under|below|above|over|exactly|max|maximum|min|minimum|top|first|last|every|"
    r"per|a lo sumo|al menos|como maximo|como minimo|hasta|menos de|mas de|exactamente"
)

# Patterns that start with a literal or a digit let the regex engine skip ahead; the
# "not inside a word" checks that a look-behind would do are made in Python on each match.
_DIGIT = re.compile(r"\d")
_UNIT_AFTER = (
    rf"[ \t\u00a0]?(?:(?P<dur>(?:{_DURATION_UNITS})(?!\w))|(?P<unit>(?:{_OTHER_UNITS})(?![\w/])))"
)
# A number and the unit after it in one match (units hold no digit, so consuming one never
# hides a number): group "num" is the number, and lastgroup names the unit kind if any.
# "\d\d*" matches what "\d+" does, but a single class first lets the regex engine skip
# positions by that class alone (a repeat first is tried in full at every character).
_NUMBER_AND_UNIT = re.compile(rf"(?P<num>\d\d*(?:[.,]\d+)*)(?:{_UNIT_AFTER})?")
_REASON_AFTER = re.compile(rf"[ \t]+(?:{_REASON})(?!\w)")
_COMPARATORS = tuple(_COMPARATOR_WORDS.split("|"))
_SYMBOLS = ("≤", "≥", "<", ">", "=")
# Comparators and status leads end in a letter or a symbol, after optional spaces and colons.
_BEFORE_LEAD = frozenset(" :≤≥<>=")
_STATUS_LEADS = ("http", "status", "code", "return", "returns", "with", "respond with",
                 "responds with", "responded with", "responde con", "devuelve", "con",
                 # v0.2: "return a 404", "error 404", "HTTP/1.1 500"
                 "return a", "returns a", "return an", "returns an", "with a", "with an",
                 "error", "http/1.1", "http/1.0", "http/2", "get a", "gets a")  # fmt: skip
# v0.2 (RUBRIC 0.4): an exit status with its number is measurable.
_EXIT_LEADS = ("exit code", "exit codes", "exit status", "exit_code", "exit-code", "exits with",
               "exit with", "exited with", "exit")  # fmt: skip
# A status named by what follows it: "a 500 status code", "a 422 response", "404 (Not Found)".
_STATUS_AFTER = re.compile(
    rf"[ 	]+(?:status|error|response|responses|code|class)(?!\w)|[ 	]*\((?:{_REASON})\)"
)
_STATUS_CLASS = re.compile(r"[1-5]xx(?!\w)")
_SINGLE_QUOTE = re.compile(r"'[^'\s][^'\n]{0,118}(?<=[^'\s])'(?![\w'])")
_EXCEPTION = re.compile(r"(?:error|exception)(?!\w)")
_QUOTE = re.compile(r"\"[^\"\n]{2,120}\"|“[^”\n]{2,120}”|«[^»\n]{2,120}»")
_CODE = re.compile(r"`[^`\n]+`")
_ROUTE_BODY = re.compile(r"/[\w{}:.\[\]\-]*[^\W\d_][\w{}:.\[\]\-/]*")
_NOT_BEFORE_ROUTE = frozenset("/.:-<")
# Clock times and dates start at their separator, with the digits before it checked by a
# look-behind: a literal first character lets the regex engine skip to candidates. The match
# starts a few characters later than the figure, on the same line, which is all callers use.
_CLOCK = re.compile(r":(?<=\d:)\d\d(?!\d)")
_DATE = re.compile(r"-(?<=\d{4}-)\d\d-\d\d(?!\d)")
_P_TOKEN = re.compile(r"p(?:50|75|90|95|99|999)(?!\w)")
# "95th percentile" and "percentil 95", found from the literal word (a pattern that starts
# with a digit would be tried at every character of the text).
_PERCENTIL = re.compile("percentil")
_ORDINAL_BEFORE = re.compile(r"\d{2}(?:st|nd|rd|th)[ \t]+\Z")
_NUMBER_AFTER = re.compile(r"[ \t]+\d{2}")


def _starts_token(text: str, start: int, also: frozenset[str] = frozenset()) -> bool:
    """True when position ``start`` is not inside a word (nor after one of ``also``)."""
    if start == 0:
        return True
    before = text[start - 1]
    return not (before.isalnum() or before == "_" or before in also)


def has_route(text: str) -> bool:
    """True when the text holds a route such as ``/api/orders`` (L1/M7)."""
    return any(
        _starts_token(text, m.start(), _NOT_BEFORE_ROUTE) for m in _ROUTE_BODY.finditer(text)
    )


def _ends_with_word(text: str, words: tuple[str, ...]) -> bool:
    """True when text ends with one of the words, starting at a word boundary."""
    if not text.endswith(words):
        return False
    for word in words:
        if text.endswith(word) and (len(text) == len(word) or not text[-len(word) - 1].isalnum()):
            return True
    return False


def _number_kinds(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _NUMBER_AND_UNIT.finditer(text):
        # The number starts the match; group 1 is the number ("num"), read by index because
        # a name is one more lookup for each of the thousands of numbers of a long body.
        start, end = match.start(), match.end(1)
        previous = text[start - 1] if start else "\n"
        if previous.isalnum() or previous in "_.,":  # inside a word or a longer number
            continue
        kind = match.lastgroup
        if kind != "num":
            found.append((start, kind or ""))
        before = ""
        if previous in _BEFORE_LEAD:  # otherwise no comparator or lead can end right here
            before = text[max(0, start - 24) : start]
            before = before[before.rfind("\n") + 1 :].rstrip(" :")
            if before.endswith(_SYMBOLS) or (
                before.endswith(_COMPARATORS) and _ends_with_word(before, _COMPARATORS)
            ):
                found.append((start, "cmp"))
        is_status = end - start == 3 and text[start] in "12345"
        if is_status and (
            _ends_with_word(before, _STATUS_LEADS)
            or _REASON_AFTER.match(text, end)
            or _STATUS_AFTER.match(text, end)
        ):
            found.append((start, "http"))
        elif "exit" in before and _ends_with_word(before, _EXIT_LEADS):
            found.append((start, "exit"))
    return found


def _percentile_words(text: str) -> list[tuple[int, str]]:
    """Offsets of "95th percentile" and "percentil 95" (at the word: the same line)."""
    found: list[tuple[int, str]] = []
    for match in _PERCENTIL.finditer(text):
        start, end = match.span()
        line_start = text.rfind("\n", 0, start) + 1
        english = text.startswith("e", end) and _ORDINAL_BEFORE.search(text, line_start, start)
        if english or _NUMBER_AFTER.match(text, end):
            found.append((start, "pct"))
    return found


def measurable_positions(text: str) -> list[tuple[int, str]]:
    """Every M token of folded text as (offset, kind); lines never join into one token.

    Each kind is looked for only when the character it needs is present, and numbers are
    found once and classified by what is next to them, so the cost is linear and small.
    Kinds: dur, unit, pct, http, cmp, quote, code, route, time.
    """
    found: list[tuple[int, str]] = []
    if _DIGIT.search(text):
        found += _number_kinds(text)
        if "percentil" in text:
            found += _percentile_words(text)
        found += [
            (m.start(), "pct") for m in _P_TOKEN.finditer(text) if _starts_token(text, m.start())
        ]
        if ":" in text:
            found += [(m.start(), "time") for m in _CLOCK.finditer(text)]
        if "-" in text:
            found += [(m.start(), "time") for m in _DATE.finditer(text)]
        if "xx" in text:
            found += [
                (m.start(), "http")
                for m in _STATUS_CLASS.finditer(text)
                if _starts_token(text, m.start())
            ]
    if '"' in text or "“" in text or "«" in text:
        found += [(m.start(), "quote") for m in _QUOTE.finditer(text)]
    if "'" in text:
        found += [
            (m.start(), "quote")
            for m in _SINGLE_QUOTE.finditer(text)
            if _starts_token(text, m.start())
        ]
    if "error" in text or "exception" in text:
        found += _exception_names(text)
    if "`" in text:
        found += [(m.start(), "code") for m in _CODE.finditer(text)]
    if "/" in text:
        found += [
            (m.start(), "route")
            for m in _ROUTE_BODY.finditer(text)
            if _starts_token(text, m.start(), _NOT_BEFORE_ROUTE)
        ]
    return found


def _exception_names(text: str) -> list[tuple[int, str]]:
    """A named exception type such as ``ValueError`` (folded: ``valueerror``), RUBRIC 0.4."""
    found: list[tuple[int, str]] = []
    for match in _EXCEPTION.finditer(text):
        start = match.start()
        head = start
        while head > 0 and (text[head - 1].isalnum() or text[head - 1] == "_"):
            head -= 1
        # Three letters at least: "ValueError", not the "onerror" of an HTML attribute.
        if start - head >= 3 and text[head].isalpha():
            found.append((head, "exc"))
    return found


def measurable_kinds(folded: str) -> frozenset[str]:
    """The M token kinds in one sentence of folded text."""
    return frozenset(kind for _, kind in measurable_positions(folded))


_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+")
# A break needs punctuation then a space. Searched first (a class first lets the engine skip
# ahead): most lines hold no break, and the split with its look-behind is slower to try.
_HAS_BREAK = re.compile(r"[.!?;]\s")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_QUOTED = re.compile(r"\"[^\"\n]{0,120}\"|“[^”\n]{0,120}”|«[^»\n]{0,120}»")


def split_sentences(text: str) -> list[str]:
    """Sentences of one line (split on . ! ? ; followed by a space)."""
    if _HAS_BREAK.search(text) is None:  # the split would return the line whole
        return [text] if text.strip() else []
    return [part for part in _SENTENCE_BREAK.split(text) if part.strip()]


def mask_inline_code(text: str) -> str:
    """Inline code replaced by the neutral word ``xcodex`` for lexicon passes (RUBRIC 2.5)."""
    return _INLINE_CODE.sub(" xcodex ", text) if "`" in text else text


def mask_quotes(text: str) -> str:
    """Quoted copy removed: a product name in quotes is not a vague claim."""
    return _QUOTED.sub(" ", text)


# Location anchors (L1-L5), on the original-case content text.
_SOURCE_EXTENSIONS = word_set(
    "ts tsx js jsx py go rb java kt rs cs php vue svelte swift sql yml yaml json toml css scss "
    "html md sh proto graphql"
)
_PLACE_NOUNS = (
    r"page|screen|view|tab|dialog|modal|panel|module|package|service|component|endpoint|table|"
    r"job|worker|queue|workflow|command|repo|repository|form|menu|button|field|page"
)
_NAME = r"[A-Z][\w'\-]*|\"[^\"\n]{1,60}\"|“[^”\n]{1,60}”"
_NAMED_PLACE = re.compile(rf"(?<![\w\"“])({_NAME})\s+(?i:{_PLACE_NOUNS})s?(?!\w)")
_NAMED_PLACE_ES = re.compile(
    r"(?<!\w)(?i:p[aá]gina|pantalla|m[oó]dulo|servicio|tabla|componente|formulario|men[uú])"
    rf"\s+(?:(?i:de|del|de la)\s+)?({_NAME})"
)
_NOT_A_NAME = word_set(
    "the this that a an each our your el la los las un una any every some all its their my "
    "new which what one same"
)
_CODE_IDENTIFIER = re.compile(
    r"[/.#]|::|\(\)|[a-z][A-Z]|[A-Z][a-z]+[A-Z]|\w_\w|[A-Za-z]-[A-Za-z]|^[a-z]+ [a-z-]+$"
)
_TOKEN_EDGE = "\"'()[]{}<>,;:!?*`“”"


def _has_file_path(text: str) -> bool:
    for raw in text.split():
        token = raw.strip(_TOKEN_EDGE).rstrip(".")
        if "/" in token and token.rsplit(".", 1)[-1].lower() in _SOURCE_EXTENSIONS:
            return True
    return False


def _has_code_anchor(text: str) -> bool:
    for match in _INLINE_CODE.finditer(text):
        literal = match.group(0)[1:-1].strip()
        if _CODE_IDENTIFIER.search(literal):
            return True
        if "." in literal and literal.rsplit(".", 1)[1].lower() in _SOURCE_EXTENSIONS:
            return True
    return False


def _has_named_place(text: str) -> bool:
    for pattern in (_NAMED_PLACE, _NAMED_PLACE_ES):
        for match in pattern.finditer(text):
            words = match.group(1).strip('"“”').split()
            if words and words[0].lower() not in _NOT_A_NAME:
                return True
    return False


def has_location_anchor(text: str) -> bool:
    """True when a line names where a feature lives: route, file, code symbol or named place."""
    if "/" in text and (has_route(text) or _has_file_path(text)):
        return True
    if "`" in text and _has_code_anchor(text):
        return True
    return _has_named_place(text)
