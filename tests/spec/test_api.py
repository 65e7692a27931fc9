"""The public API of ``bot.spec`` is exactly what ``__all__`` lists."""

from __future__ import annotations

import bot.spec


def test_all_matches_the_public_names() -> None:
    """Every public name is exported and every export exists."""
    public = {name for name in dir(bot.spec) if not name.startswith("_")}
    assert set(bot.spec.__all__) == public
    assert all(hasattr(bot.spec, name) for name in bot.spec.__all__)


def test_every_rule_has_a_message_and_fix() -> None:
    """The catalog covers every id with a non-empty message and fix hint."""
    assert set(bot.spec.RULES) == set(bot.spec.ALL_IDS)
    for rule in bot.spec.RULES.values():
        assert rule.message and rule.fix
