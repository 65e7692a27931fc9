"""Fixtures for agent tests: scripted model servers, workspaces and the model stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents.tools import Workspace
from tests.scripted.conftest import StartModel, start_model

__all__ = [
    "FakeClock",
    "Sleeps",
    "Stack",
    "StartModel",
    "anthropic_model",
    "start_model",
    "workspace",
]

MODEL = "claude-sonnet-5-5"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A small checkout: a README, a package with one module, and a .git directory."""
    root = tmp_path / "checkout"
    (root / "pkg").mkdir(parents=True)
    (root / "README.md").write_text("# Widgets\n\nMakes widgets.\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    return Workspace(root)


Stack = Callable[..., AnthropicModel]


@pytest.fixture
def anthropic_model() -> Iterator[Stack]:
    """Real ``AnthropicModel`` clients for a base URL (streaming or not); closed after the test."""
    models: list[AnthropicModel] = []

    def make(base_url: str, *, stream: bool = False, timeout: float = 30.0) -> AnthropicModel:
        model = AnthropicModel(
            api_key="test-key", model=MODEL, base_url=base_url, stream=stream, timeout=timeout
        )
        models.append(model)
        return model

    yield make
    for model in models:
        model.close()


class Sleeps:
    """An injectable ``sleep`` that records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
