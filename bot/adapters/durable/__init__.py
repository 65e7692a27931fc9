"""The durable engine adapter: the only package that imports DBOS.

Import it only where runs are started or served (the worker, the web app), never from the CLI
root, so ``specbot lint`` stays fast.
"""

from bot.adapters.durable._client import EngineClient
from bot.adapters.durable._engine import Engine
from bot.adapters.durable._inbox import (
    Inbox,
    InboxDelivery,
    InboxEntry,
    Received,
    inbox_engine,
)
from bot.adapters.durable._pipelines import StageFailedError
from bot.adapters.durable._pump import InboxPump
from bot.adapters.durable._run_index import RunIndex, RunPage, RunQuery, RunRow, Usage
from bot.adapters.durable._settings import EngineSettings, RunFailedError, RunInfo, engine_settings
from bot.adapters.durable._tables import EventLog, WorkerRoster, probe_database

__all__ = [
    "Engine",
    "EngineClient",
    "EngineSettings",
    "EventLog",
    "Inbox",
    "InboxDelivery",
    "InboxEntry",
    "InboxPump",
    "Received",
    "RunIndex",
    "RunPage",
    "RunQuery",
    "RunRow",
    "Usage",
    "RunFailedError",
    "RunInfo",
    "StageFailedError",
    "WorkerRoster",
    "engine_settings",
    "inbox_engine",
    "probe_database",
]
