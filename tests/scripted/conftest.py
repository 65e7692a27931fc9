"""Fixtures: scripted model servers started for real on free ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import pytest

from bot.scripted import ScriptedModelServer, start_scripted_model

StartModel = Callable[[dict[str, Any]], ScriptedModelServer]


@pytest.fixture
def start_model() -> Iterator[StartModel]:
    """Start scripted model servers from script dicts; all are stopped after the test."""
    servers: list[ScriptedModelServer] = []

    def start(script: dict[str, Any]) -> ScriptedModelServer:
        server = start_scripted_model(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# Any: the SDK's TypedDict parameters make every dict literal in a test a type puzzle.
MakeClient = Callable[..., Any]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Real SDK clients (no SDK retries) for a base URL; all are closed after the test."""
    clients: list[anthropic.Anthropic] = []

    def make(base_url: str, key: str = "test-key") -> anthropic.Anthropic:
        sdk = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=0)
        clients.append(sdk)
        return sdk

    yield make
    for sdk in clients:
        sdk.close()
