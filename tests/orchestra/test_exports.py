"""The packages' public API is exactly what ``__all__`` lists."""

from __future__ import annotations

import types

import pytest

import bot.adapters.durable
import bot.orchestra


@pytest.mark.parametrize("package", [bot.orchestra, bot.adapters.durable])
def test_all_lists_every_public_name(package: types.ModuleType) -> None:
    """Every public, non-module attribute is in __all__ and every name in __all__ exists."""
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert set(package.__all__) == public
