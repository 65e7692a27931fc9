"""The specification as agents and reports see it: sanitised text and numbered criteria."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.spec import parse_spec
from bot.untrusted import sanitise


class SpecText(BaseModel):
    """One issue's spec as it was at the trigger: number, title, sanitised body, criteria."""

    model_config = ConfigDict(frozen=True)

    number: int
    title: str
    body: str
    criteria: tuple[str, ...]

    @classmethod
    def of(cls, number: int, title: str | None, body: str | None) -> SpecText:
        """Sanitise the issue's title and body and number its acceptance criteria."""
        clean_body = sanitise(body)
        criteria = tuple(item.text for item in parse_spec(clean_body).criteria)
        return cls(number=number, title=sanitise(title), body=clean_body, criteria=criteria)
