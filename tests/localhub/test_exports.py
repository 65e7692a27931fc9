"""The public API of ``bot.localhub`` is exactly what ``__all__`` lists."""

from __future__ import annotations

import bot.localhub


def test_all_lists_exactly_the_public_names() -> None:
    """Every public attribute is in ``__all__`` and every name there exists."""
    public = {
        name
        for name, value in vars(bot.localhub).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("bot.localhub")
    }
    assert public == set(bot.localhub.__all__)
    assert all(hasattr(bot.localhub, name) for name in bot.localhub.__all__)
