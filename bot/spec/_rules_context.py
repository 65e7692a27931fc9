"""P2, explicit context: CTX-001 to CTX-003."""

from __future__ import annotations

from bot.spec import _lexicon as lx
from bot.spec._document import Document
from bot.spec._findings import Hit
from bot.spec._model import SectionKind


def check_context(doc: Document) -> list[Hit]:
    """CTX-001 location anchor, CTX-002 current state, CTX-003 unresolvable references."""
    hits: list[Hit] = []
    if not doc.anchored:
        hits.append(Hit("CTX-001", 0))
    content = doc.content()
    if not doc.has_section(SectionKind.CURRENT_STATE) and not any(
        lx.CURRENT_CUE in line.hits for line in content
    ):
        hits.append(Hit("CTX-002", 0))
    for line in content:
        if lx.REF_CUE in line.hits:
            hits.append(Hit("CTX-003", line.number))
    return hits
