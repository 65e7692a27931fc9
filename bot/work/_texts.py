"""The task texts agents receive, filled from templates in ``prompts/`` (data, not code)."""

from __future__ import annotations

import functools
from importlib import resources
from string import Template


@functools.cache
def _template(name: str) -> Template:
    text = resources.files("bot.work").joinpath(f"prompts/{name}.md").read_text(encoding="utf-8")
    return Template(text)


def task_text(name: str, **values: object) -> str:
    """The template ``prompts/<name>.md`` with every ``$placeholder`` filled (all required)."""
    return _template(name).substitute({key: str(value) for key, value in values.items()})


def numbered(items: list[str]) -> str:
    """``1. first`` lines, or a note that there are none."""
    if not items:
        return "_(none stated)_"
    return "\n".join(f"{index}. {item}" for index, item in enumerate(items, start=1))
