"""What flows need from the outside world, built once per process and given to the catalog.

``specbot worker`` and ``specbot serve`` build ``Services`` from the environment
(``from_settings``) and the flows' catalog over them (``bot.flows.build_catalog``); the demo and
tests build theirs pointing at localhub and the scripted model. Handlers and stages receive
them in their context, so production and tests differ only in settings.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.adapters.git import GitWorkspaces
from bot.agents import (
    BudgetExceededError,
    ModelCall,
    ModelRequest,
    ModelResponse,
    RoleOverride,
    RunBudget,
)
from bot.agents.tools import SandboxPolicy
from bot.config import DEFAULT_PATH, ConfigError, RepoConfig, load_repo_config
from bot.flows._redacting import RedactingGitHub
from bot.flows._run_events import stage_recorder
from bot.ports import PullInfo, RepoGitHub
from bot.run_links import run_link
from bot.settings import Settings
from bot.work import Team, WorkError, command_plan, prepare
from bot.workspace import CommandPlan, RunEnvironment, WorkspaceConfig


class Runs(Protocol):
    """Starting and steering durable runs from inside a run (``EngineClient`` does this)."""

    def start_pipeline(
        self, name: str, data: dict[str, Any], *, workflow_id: str, queue: str = ..., **kw: Any
    ) -> str:
        """Enqueue a pipeline run (a repeat of ``workflow_id`` attaches to the first)."""
        ...

    def cancel(self, workflow_id: str) -> None:
        """Cancel a run and the runs it started."""
        ...

    def run_ids(self, prefix: str) -> list[str]:
        """Ids of top-level runs starting with ``prefix``, oldest first."""
        ...

    def status(self, workflow_id: str) -> str:
        """The run's status (``ENQUEUED``, ``PENDING``, ``SUCCESS``, ``ERROR``, ``CANCELLED``)."""
        ...

    def result(self, workflow_id: str, *, timeout: float = ...) -> Any:
        """The finished run's output."""
        ...


ACTIVE = ("ENQUEUED", "PENDING")


@dataclass
class Services:
    """Settings, GitHub per installation, the model, runs and git workspaces of one process."""

    settings: Settings
    repo_for: Callable[[str, int], RepoGitHub]
    runs: Runs
    call_model: ModelCall
    workspaces: GitWorkspaces
    closers: list[Callable[[], None]] = field(default_factory=list)
    # Where the repository's configuration is read, and what the operator sets over it (the
    # Action's inputs): the same keys as the file, checked by the same schema.
    config_path: str = DEFAULT_PATH
    config_overrides: Mapping[str, Any] = field(default_factory=dict)
    # The name people mention to ask specbot (``@name``): the bot's login without ``[bot]``
    # unless set (the Action's token acts as github-actions[bot]; people write @specbot).
    mention: str | None = None
    # Set when this process must stop (the Action's job was cancelled or ran out of time):
    # agents stop at once, as if their time budget were spent, and the stages end cleanly.
    stopping: threading.Event = field(default_factory=threading.Event)
    stop_reason: str = "the process is stopping"

    def github(self, full_name: str, installation_id: int) -> RepoGitHub:
        """The repository as the App's installation sees it."""
        return RedactingGitHub(self.repo_for(full_name, installation_id), self.secrets)

    def team(
        self,
        tokens_used: int = 0,
        cost_used: float = 0.0,
        seconds_used: float = 0.0,
        run_id: str | None = None,
        config: RepoConfig | None = None,
        time_box_seconds: float | None = None,
    ) -> Team:
        """A fresh team for one stage of a run, with what is left of the run's budget.

        With ``run_id``, every model call first checks the run was not cancelled, so a run
        superseded by an edit or ``/specbot cancel`` stops spending at its next call;
        ``time_box_seconds`` (a flow's) caps the run's time further.
        """
        budget = RunBudget.from_settings(self.settings)
        if time_box_seconds is not None:
            cap = budget.max_seconds
            boxed = time_box_seconds if cap is None else min(cap, time_box_seconds)
            budget = budget.model_copy(update={"max_seconds": boxed})
        left = RunBudget(
            max_tokens=None
            if budget.max_tokens is None
            else max(1, budget.max_tokens - tokens_used),
            max_cost_usd=None
            if budget.max_cost_usd is None
            else max(1e-9, budget.max_cost_usd - cost_used),
            max_seconds=None
            if budget.max_seconds is None
            else max(1e-3, budget.max_seconds - seconds_used),
        )
        call = self.call_model if run_id is None else self._unless_cancelled(run_id)
        on_event = stage_recorder(self.secrets)
        return Team(
            call_model=self._until_stopped(call),
            model_name=self.settings.model,
            budget=left,
            isolate=self.settings.isolate_agents,
            sandbox=SandboxPolicy.from_settings(self.settings),
            redact=self.secrets,
            overrides=agent_overrides(config) if config is not None else {},
            on_event=on_event,
        )

    @functools.cached_property
    def secrets(self) -> tuple[str, ...]:
        """What is redacted from tool output and from everything posted."""
        return tuple(self.settings.secret_values())

    def cancelled(self, run_id: str) -> bool:
        """True once a newer run or a person cancelled the run."""
        return self.runs.status(run_id) == "CANCELLED"

    def _unless_cancelled(self, run_id: str) -> ModelCall:
        def call(request: ModelRequest) -> ModelResponse:
            if self.cancelled(run_id):
                raise WorkError("the run was cancelled")
            return self.call_model(request)

        return call

    def stop(self, reason: str) -> None:
        """Stop every agent of this process at once; ``reason`` is what their runs say."""
        self.stop_reason = reason
        self.stopping.set()

    def _until_stopped(self, call: ModelCall) -> ModelCall:
        """``call``, abandoned the moment the process stops (a call can take minutes)."""

        def racing(request: ModelRequest) -> ModelResponse:
            if self.stopping.is_set():
                raise BudgetExceededError("time", self.stop_reason)
            answer: list[ModelResponse] = []
            failure: list[BaseException] = []

            def work() -> None:
                try:
                    answer.append(call(request))
                except BaseException as exc:  # handed to the caller's thread below
                    failure.append(exc)

            # the call's thread carries this one's context (log bindings, the run's step)
            context = contextvars.copy_context()
            worker = threading.Thread(
                target=context.run, args=(work,), name="specbot-model-call", daemon=True
            )
            worker.start()
            while True:
                worker.join(0.1)  # returns as soon as the call does
                if not worker.is_alive():
                    break
                if self.stopping.is_set():
                    raise BudgetExceededError("time", self.stop_reason)
            if failure:
                raise failure[0]
            return answer[0]

        return racing

    @property
    def cache_dir(self) -> Path:
        """Where mirrors, checkouts, virtual environments and reports live."""
        return self.settings.data_dir / "work"

    def venv_dir(self, full_name: str) -> Path:
        """The virtual environment of a repository's runs (reused across runs)."""
        if self.settings.workspace_venv is not None:
            return self.settings.workspace_venv
        return self.cache_dir / "venvs" / full_name.replace("/", "__")

    def set_up(
        self, checkout: Path, repo: str, workspace: WorkspaceConfig, report_name: str
    ) -> tuple[CommandPlan, RunEnvironment]:
        """Run the checkout's setup commands; ``WorkError`` saying which one failed."""
        report_path = self.cache_dir / "reports" / f"{report_name}.xml"
        commands = command_plan(checkout, workspace, self.venv_dir(repo), report_path)
        environment = RunEnvironment(
            isolate_tests=self.settings.isolate_agents,
            sandbox=SandboxPolicy.from_settings(self.settings),
        )
        failure = prepare(checkout, commands, environment).failure()
        if failure is not None:
            raise WorkError(failure)
        return commands, environment

    def run_url(self, run_id: str) -> str | None:
        """The run's page (a signed link), when a public URL is configured."""
        secret = self.settings.github_webhook_secret
        if not self.settings.public_url or secret is None:
            return None
        return run_link(self.settings.public_url, secret.get_secret_value(), run_id)

    def marker_key(self) -> bytes:
        """The key that signs finding markers: from the App's private key, else the webhook secret.

        GitHub holds neither the private key nor anything derived from it, so only this service
        can sign a marker that a later round trusts.
        """
        from bot.adapters.github_app import AppSettingsError, private_key_from
        from bot.review import marker_key

        try:
            return marker_key(private_key_from(self.settings))
        except AppSettingsError:
            secret = self.settings.github_webhook_secret
            if secret is None or not secret.get_secret_value():
                raise ServicesError(
                    "GITHUB_PRIVATE_KEY and GITHUB_WEBHOOK_SECRET are not set: specbot signs "
                    "its finding markers with a key derived from one of them"
                ) from None
            return marker_key(secret.get_secret_value())

    def checkout_pull(self, github: RepoGitHub, pull: PullInfo, key: str) -> Path:
        """A fresh checkout of the pull request's head under ``key`` (its run's id)."""
        self.workspaces.refresh_mirror(
            github.full_name, github.clone_url(), github.git_credentials()
        )
        # a fork's branch is not in this repository (a branch here may even share its name)
        head = f"refs/pull/{pull.number}/head" if pull.from_fork else pull.head_ref
        return self.workspaces.checkout(
            github.full_name, key, head, pull.base_ref, github.clone_url()
        )

    def repo_config(self, github: RepoGitHub, ref: str | None = None) -> RepoConfig:
        """The configuration file at ``ref`` (defaults when absent) under the operator's
        overrides; ``ConfigError`` if bad."""
        text = github.read_file(self.config_path, ref)
        return load_repo_config(text or "", self.config_path, self.config_overrides)

    def active_runs(self, prefix: str) -> list[str]:
        """Unfinished runs whose id starts with ``prefix``."""
        return [run for run in self.runs.run_ids(prefix) if self.runs.status(run) in ACTIVE]

    def close(self) -> None:
        """Release connections held by the adapters."""
        for close in self.closers:
            close()


class ServicesError(ValueError):
    """A setting the flows need is missing or unusable (one line, naming the setting)."""


def check_settings(settings: Settings) -> None:
    """Refuse settings the flows cannot run with, naming the first bad one."""
    from bot.adapters.github_app import AppSettingsError, app_id_from, private_key_from

    try:
        app_id_from(settings)
        private_key_from(settings)
    except AppSettingsError as exc:
        raise ServicesError(str(exc)) from None
    if settings.anthropic_api_key is None or not settings.anthropic_api_key.get_secret_value():
        raise ServicesError(
            "ANTHROPIC_API_KEY is not set: the key specbot's agents call the model with"
        )


def from_settings(settings: Settings) -> Services:
    """The production services: the App on GitHub, the Anthropic API and the durable engine."""
    from bot.adapters.anthropic_model import resilient_model_from_settings
    from bot.adapters.durable import EngineClient, engine_settings
    from bot.adapters.github_app import GitHubApp

    app = GitHubApp.from_settings(settings)
    client = EngineClient(engine_settings(settings))
    model = resilient_model_from_settings(settings)
    return Services(
        settings=settings,
        repo_for=lambda full_name, installation: app.repo(installation, full_name),
        runs=client,
        call_model=model.complete,
        workspaces=GitWorkspaces(settings.data_dir / "work"),
        closers=[app.close, client.close, model.close],
    )


__all__ = [
    "ConfigError",
    "Runs",
    "Services",
    "ServicesError",
    "check_settings",
    "from_settings",
]


def agent_overrides(config: RepoConfig) -> dict[str, RoleOverride]:
    """What the repository's ``agents:`` change for each agent: model, thinking, limits."""
    return {
        name: RoleOverride(
            model=agent.model,
            thinking_budget=agent.thinking_budget,
            effort=agent.effort,
            limits=agent.limits.model_dump(exclude_none=True),
        )
        for name, agent in config.agents.items()
    }
