"""Shared building blocks of the patterns: retry policies and JSON-portable payloads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JsonObject = dict[str, Any]


class RetryPolicy(BaseModel):
    """How often a unit of work is tried and how long to wait between tries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=3, ge=1, le=20)
    interval_seconds: float = Field(default=1.0, ge=0.0, le=3600.0)
    backoff_rate: float = Field(default=2.0, ge=1.0, le=10.0)

    def delays(self) -> list[float]:
        """The waits between consecutive attempts (one fewer than ``max_attempts``)."""
        return [
            self.interval_seconds * self.backoff_rate**index
            for index in range(self.max_attempts - 1)
        ]


NO_RETRY = RetryPolicy(max_attempts=1, interval_seconds=0.0, backoff_rate=1.0)


def dump_json(model: BaseModel) -> JsonObject:
    """A pydantic model as plain JSON data, the only form the engine stores (never pickles)."""
    return model.model_dump(mode="json")
