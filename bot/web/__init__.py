"""The GitHub App's webhook server (FastAPI): verify, store durably, acknowledge."""

from bot.web._app import create_app
from bot.web._logging import configure_logging

__all__ = ["configure_logging", "create_app"]
