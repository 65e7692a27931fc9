"""Structured JSON logs: one line per event, with the request's ids bound through contextvars.

Everything goes through the standard library's root logger (uvicorn's and the engine's lines
too), rendered as JSON by structlog, so one collector reads one format. Secrets never reach
a log call: settings hold them as ``SecretStr`` and the web layer logs ids, never headers.
"""

from __future__ import annotations

import logging
import sys

import structlog

# Libraries whose DEBUG lines carry bodies: the anthropic SDK logs whole requests (prompts,
# issue text), the HTTP clients and PyGithub log payloads, SQLAlchemy logs statement
# parameters (stored webhook bodies), the engine logs run inputs. Whatever level specbot runs
# at, these stay at the floor given here, so a log never holds a body.
QUIET_FLOORS: dict[str, int] = {
    "anthropic": logging.INFO,
    "httpx": logging.INFO,
    "httpx2": logging.INFO,
    "httpcore": logging.INFO,
    "httpcore2": logging.INFO,
    "urllib3": logging.INFO,
    "github": logging.INFO,
    "git": logging.INFO,
    "dbos": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "psycopg": logging.INFO,
    "hpack": logging.INFO,
    "uvicorn": logging.INFO,
}

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: str = "INFO") -> None:
    """Send every log line (structlog's and the standard library's) to stderr as JSON."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"SPECBOT_LOG_LEVEL: unknown level {level!r}")
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dbos"):
        # Their own handlers would print a second, unstructured copy of each line.
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    keep_bodies_out_of_logs(numeric)


def keep_bodies_out_of_logs(level: int) -> None:
    """Hold the libraries that log bodies at their floor, or higher when ``level`` is higher."""
    for name, floor in QUIET_FLOORS.items():
        logging.getLogger(name).setLevel(max(level, floor))
