"""Validate YAML text against a pydantic model and put every error on its source line."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.wording import plain_error

Problem = tuple[int, str, str]


def check_config_text(text: str, model: type[BaseModel]) -> list[Problem]:
    """Every problem of ``text`` as (line, dotted field, message); empty when it is valid."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return [(line, "yaml", f"{exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return [(1, "yaml", str(exc))]
    problems = _duplicate_keys(root, ())
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [(1, "(top level)", "the file must be a mapping of sections (e.g. 'gate:')")]
    # An empty section ("agents:" with nothing under it) means "the defaults".
    data = {key: {} if value is None else value for key, value in data.items()}
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            location = tuple(error["loc"])
            where = ".".join(str(part) for part in location) or "(top level)"
            line = _line_of(root, location, error["msg"])
            problems.append((line, where, _message(error)))
    return sorted(problems)


def _message(error: Any) -> str:
    """pydantic's message, in the loader's words for the common cases."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "literal_error":
        return f"unknown value {error['input']!r}"
    return plain_error(error)


def _duplicate_keys(node: Any, path: tuple[str, ...]) -> list[Problem]:
    found: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                where = ".".join((*path, name))
                found.append((key.start_mark.line + 1, where, f"duplicate key {name!r}"))
            seen.add(name)
            found.extend(_duplicate_keys(value, (*path, name)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(_duplicate_keys(item, (*path, str(index))))
    return found


def _line_of(root: Any, location: tuple[Any, ...], message: str) -> int:
    """The line of the deepest node on ``location`` (a missing field: its parent's line).

    A check across entries (an unknown role, a flow naming a missing agent) is reported on
    the whole mapping; when the message quotes one of its keys, that key's line is used.
    """
    node = root
    line = node.start_mark.line + 1 if node is not None else 1
    for part in location:
        child = _child(node, part)
        if child is None:
            return line
        node, line = child
    if isinstance(node, yaml.MappingNode):
        quoted = set(re.findall(r"'([^']+)'", message))
        for key, _ in node.value:
            if str(key.value) in quoted:
                return int(key.start_mark.line) + 1
    return line


def _child(node: Any, part: Any) -> tuple[Any, int] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(part):
                # Point at the key's line: for a nested mapping the value starts a line later.
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line + 1
    return None


def keys_without_effect_lines(text: str) -> list[tuple[int, str]]:
    """(line, dotted key) of every key a valid ``text`` sets that nothing reads yet."""
    from bot.config_keys import keys_without_effect

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return []
    return [(_line_of(root, key, ""), ".".join(key)) for key in keys_without_effect(data)]
