"""What a rule reports before the gate turns it into a ``Finding``: an id and a line."""

from __future__ import annotations

from typing import NamedTuple

from bot.spec._model import FindingId, Severity


class Hit(NamedTuple):
    """A rule's raw result: which finding, on which line (0 for the whole document)."""

    id: FindingId
    line: int
    # A rule that knows better than the catalog for this body (ACC-002 with a figure elsewhere).
    severity: Severity | None = None
