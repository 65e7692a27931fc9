"""Fixtures for the engine-free stages: scripted model servers and real model clients."""

from __future__ import annotations

from tests.agents.conftest import anthropic_model, start_model

__all__ = ["anthropic_model", "start_model"]
