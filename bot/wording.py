"""Validation errors in the product's words: what is wrong with a value, not the library's
phrasing (``Input should be a valid integer``, ``Value error, ...``) nor Python's (``[Errno 2]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

_BY_TYPE = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "missing": "is required",
    "extra_forbidden": "unknown key",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "list_type": "must be a list",
    "url_parsing": "must be a URL",
}
_BOUNDS = {
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_long": "must be at most {max_length} characters",
}


def plain_error(error: Mapping[str, Any]) -> str:
    """One pydantic error (an ``exc.errors()`` entry) as a short phrase, without its location."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind in _BOUNDS:
        try:
            return _BOUNDS[kind].format(**context)
        except (KeyError, IndexError):
            pass
    if kind == "literal_error":
        return f"unknown value {error.get('input')!r} (expected {context.get('expected', '?')})"
    message = str(error.get("msg", "is not valid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def plain_os_error(exc: OSError) -> str:
    """``no such file or directory`` rather than ``[Errno 2] No such file or directory: 'x'``."""
    if exc.strerror:
        return exc.strerror.lower()
    if exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno).lower()
    return type(exc).__name__
