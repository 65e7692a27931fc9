"""Which keys of ``.github/specbot.yml`` change what specbot does, and which do not.

Every entry of ``agents:`` and ``flows:`` has the same fields, and not every flow or agent reads
all of them (``max_rounds`` is the follow-up's; a built-in agent's ``prompt`` is its role's).
``IN_FORCE`` lists every key that has an effect, each shown by a test; ``specbot config check``
names any other key a file sets, so nobody believes a setting is on when nothing reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from bot.orchestra.config import DEFAULT_AGENTS, DEFAULT_FLOWS

# Dotted key patterns; "*" is one name (an agent's, say), "+" one a repository added (not a
# built-in flow or agent). A key under a pattern is in force too.
IN_FORCE: tuple[str, ...] = (
    "gate",
    "workspace",
    "triggers",
    "plan_approval",
    "review",
    "agents.*.model",
    "agents.*.thinking_budget",
    "agents.*.effort",
    "agents.*.limits",
    "agents.*.authority",
    "agents.*.escalates_to",
    "max_escalation_depth",
    "agents.+.role",
    "agents.+.prompt",
    "flows.implement.enabled",
    "flows.review.enabled",
    "flows.review.pattern",
    "flows.review.agents",
    "flows.review.time_box_seconds",
    "flows.review.consensus",
    "flows.review.max_iterations",
    "flows.follow-up.enabled",
    "flows.follow-up.max_rounds",
    "flows.follow-up.pattern",
    "flows.+.pattern",
    "flows.+.agents",
    "flows.+.enabled",
    "flows.+.triggers",
    "flows.+.where",
)
BUILT_IN: dict[str, frozenset[str]] = {
    "flows": frozenset(DEFAULT_FLOWS),
    "agents": frozenset(DEFAULT_AGENTS),
}
# Entries a file may remove with ``null`` (the flow is then off, as with ``enabled: false``).
REMOVABLE: tuple[str, ...] = ("flows.implement", "flows.review", "flows.follow-up")

Key = tuple[str, ...]


def _matches(pattern: Key, key: Key) -> bool:
    if len(key) < len(pattern):
        return False
    for index, (want, part) in enumerate(zip(pattern, key, strict=False)):
        if want == "+":
            if index == 0 or part in BUILT_IN.get(key[0], frozenset()):
                return False
        elif not fnmatchcase(part, want):
            return False
    return True


def _patterns() -> list[Key]:
    return [tuple(pattern.split(".")) for pattern in IN_FORCE]


def is_in_force(key: Key) -> bool:
    """True when ``key`` (or a key above it) has an effect."""
    return any(_matches(pattern, key) for pattern in _patterns())


def _leads_to_one(key: Key) -> bool:
    """True when some key in force lies below ``key``."""
    return any(
        len(pattern) > len(key) and _matches(pattern[: len(key)], key) for pattern in _patterns()
    )


def keys_without_effect(data: Mapping[str, Any]) -> list[Key]:
    """The keys ``data`` (a parsed specbot.yml) sets that nothing reads, outermost first."""
    found: list[Key] = []

    def walk(value: Any, key: Key) -> None:
        if key and is_in_force(key):
            return
        if key and value is None and ".".join(key) in REMOVABLE:
            return
        if not key or _leads_to_one(key):
            if isinstance(value, Mapping):
                for name, inner in value.items():
                    walk(inner, (*key, str(name)))
                return
            if value is None:
                return  # an empty section: the defaults
        found.append(key)

    walk(data, ())
    return found
