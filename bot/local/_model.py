"""The model every agent of a local command calls, from settings: the real API or a script."""

from __future__ import annotations

import socket
import threading
import urllib.parse
import urllib.request

from bot.agents import ModelRequest, ModelResponse, PermanentModelError, ResilientModel, RunBudget
from bot.agents.tools import SandboxPolicy
from bot.local._progress import Progress
from bot.settings import Settings
from bot.wording import plain_os_error
from bot.work import Team

DEFAULT_MODEL_URL = "https://api.anthropic.com"
REACH_TIMEOUT = 5.0

NO_MODEL = (
    "no model configured: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy or"
    " `specbot model --script` server)"
)


class NoModelError(Exception):
    """Settings name no model; the message says which variables to set."""


def _no_model_call(request: ModelRequest) -> ModelResponse:
    """The model of a command run without one: any call is a bug, said plainly."""
    raise PermanentModelError(f"no model in this run ({request.agent} asked for one)")


class LazyModel:
    """The configured model, built at its first call.

    Importing the ``anthropic`` SDK takes seconds; a command that ends before any agent
    starts (an empty diff, a failed setup) should not pay for it.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._model: ResilientModel | None = None
        self._lock = threading.Lock()  # reviewers call from several threads

    def complete(self, request: ModelRequest) -> ModelResponse:
        """Build the model if needed, then make the call through it."""
        with self._lock:
            if self._model is None:
                from bot.adapters.anthropic_model import resilient_model_from_settings

                self._model = resilient_model_from_settings(self._settings)
            model = self._model
        return model.complete(request)


def require_model(settings: Settings) -> None:
    """``NoModelError`` unless settings name a model (checked before any work starts)."""
    if settings.anthropic_api_key is None:
        raise NoModelError(NO_MODEL)


def team_from_settings(settings: Settings, progress: Progress, *, with_model: bool = True) -> Team:
    """A ``Team`` on the configured model (or none), secrets redacted, budget from settings."""
    if not with_model:
        return Team(
            call_model=_no_model_call,
            model_name="none",
            isolate=settings.isolate_agents,
            sandbox=SandboxPolicy.from_settings(settings),
        )
    require_model(settings)
    return Team(
        call_model=LazyModel(settings).complete,
        model_name=settings.model,
        budget=RunBudget.from_settings(settings),
        isolate=settings.isolate_agents,
        sandbox=SandboxPolicy.from_settings(settings),
        redact=settings.secret_values(),
        on_event=progress.on_agent_event,
    )


def check_model_reachable(settings: Settings, timeout: float = REACH_TIMEOUT) -> None:
    """``NoModelError`` naming the URL when nothing answers there (no request is made).

    Checked before a run's setup, so an unreachable model is one line at once rather than a
    circuit breaker opening after the setup and the first agent's retries. Behind a proxy the
    proxy is what answers; the SDK finds it, so nothing is checked here.
    """
    url = settings.anthropic_base_url or DEFAULT_MODEL_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NoModelError(f"ANTHROPIC_BASE_URL {url!r} is not an http:// or https:// URL")
    if parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(
        parts.hostname
    ):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except ValueError:
        raise NoModelError(f"ANTHROPIC_BASE_URL {url!r} has an invalid port") from None
    except OSError as exc:
        reason = f"no answer in {timeout:g} s" if isinstance(exc, TimeoutError) else None
        raise NoModelError(
            f"the model at {url} cannot be reached ({reason or plain_os_error(exc)}):"
            " check ANTHROPIC_BASE_URL and the network"
        ) from None
