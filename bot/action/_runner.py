"""What a GitHub Actions runner hands the step: its environment, read and checked once.

Only what a runner provides is read (``GITHUB_*``, ``RUNNER_TEMP``) plus the action's inputs
as ``INPUT_*`` variables (action.yml passes them) and the model's settings. Every problem is
an ``ActionConfigError`` whose one line names the variable or input, so a misconfigured
workflow fails with exit code 2 and says what to change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.webhooks import MAX_BODY_BYTES, Event, MalformedDelivery, event_from_action

Mode = Literal["auto", "gate", "implement", "review"]
MODES: tuple[Mode, ...] = ("auto", "gate", "implement", "review")
ACTIONS_BOT = "github-actions[bot]"
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off", "")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class ActionConfigError(ValueError):
    """The workflow or the runner gave something specbot cannot run with (exit code 2)."""


@dataclass(frozen=True)
class ActionInputs:
    """The action's inputs, parsed."""

    mode: Mode = "auto"
    trigger_label: str = "spec"
    mention: str = "specbot"
    config_path: str = ".github/specbot.yml"
    max_rounds: int | None = None
    budget_usd: float | None = None
    allowed_bots: tuple[str, ...] = ()
    allow_forks: bool = False
    bot_login: str = ACTIONS_BOT
    fail_on_not_ready: bool = False

    def config_overrides(self) -> dict[str, Any]:
        """What the inputs set over the repository's configuration file, in its own keys."""
        overrides: dict[str, Any] = {"triggers": {"label": self.trigger_label}}
        if self.allowed_bots:
            overrides["triggers"]["allow_bots"] = list(self.allowed_bots)
        # A workflow that runs on pull requests asks for their review (a writer's too); forks
        # are the workflow's to allow, whatever the file says (its code meets the secrets).
        overrides["review"] = {"auto": "collaborators", "forks": self.allow_forks}
        flows: dict[str, Any] = {}
        if self.max_rounds is not None:
            flows["follow-up"] = {"max_rounds": self.max_rounds}
        if self.mode in ("gate", "review"):
            flows["implement"] = {"enabled": False}
        if self.mode in ("gate", "implement"):
            flows["review"] = {"enabled": False}
        if flows:
            overrides["flows"] = flows
        return overrides


@dataclass(frozen=True)
class RunnerContext:
    """The runner's environment for this step."""

    event: Event
    repository: str
    api_url: str
    server_url: str
    token: str
    temp_dir: Path
    summary_path: Path | None
    output_path: Path | None
    inputs: ActionInputs

    @property
    def data_dir(self) -> Path:
        """Where the run's database and checkouts live (cache this folder to resume runs)."""
        return self.temp_dir / "specbot"


def read_runner(environ: Mapping[str, str] | None = None) -> RunnerContext:
    """The step's ``RunnerContext``; ``ActionConfigError`` naming the first problem."""
    env = os.environ if environ is None else environ
    repository = _required(env, "GITHUB_REPOSITORY")
    if not _REPO.match(repository):
        raise ActionConfigError(f"GITHUB_REPOSITORY: {repository!r} is not OWNER/REPO")
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise ActionConfigError(
            "GITHUB_TOKEN is empty: pass the github_token input (the default is the workflow's)"
        )
    temp_dir = Path(_required(env, "RUNNER_TEMP"))
    return RunnerContext(
        event=_read_event(env),
        repository=repository,
        api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
        token=token,
        temp_dir=temp_dir,
        summary_path=_optional_path(env, "GITHUB_STEP_SUMMARY"),
        output_path=_optional_path(env, "GITHUB_OUTPUT"),
        inputs=read_inputs(env),
    )


def read_inputs(env: Mapping[str, str]) -> ActionInputs:
    """The ``INPUT_*`` variables as ``ActionInputs``, each checked."""
    mode = _input(env, "mode") or "auto"
    if mode not in MODES:
        raise ActionConfigError(f"input mode: {mode!r} is not one of {', '.join(MODES)}")
    label = _input(env, "trigger_label") or "spec"
    if len(label) > 50:
        raise ActionConfigError("input trigger_label: longer than GitHub's 50 characters")
    phrase = (_input(env, "trigger_phrase") or "@specbot").removeprefix("@")
    if not _LOGIN.match(phrase) or phrase.endswith("[bot]"):
        raise ActionConfigError(f"input trigger_phrase: {phrase!r} is not an @name")
    bots = tuple(b.strip() for b in _input(env, "allowed_bots").split(",") if b.strip())
    for login in (*bots, _input(env, "bot_login") or ACTIONS_BOT):
        if not _LOGIN.match(login):
            raise ActionConfigError(f"a login in allowed_bots or bot_login: {login!r}")
    return ActionInputs(
        mode=mode,
        trigger_label=label,
        mention=phrase,
        config_path=_config_path(_input(env, "config_path") or ".github/specbot.yml"),
        max_rounds=_number(env, "max_rounds", int, 0, 20),
        budget_usd=_number(env, "budget_usd", float, 0.01, 10_000.0),
        allowed_bots=bots,
        allow_forks=_flag(env, "allow_forks"),
        bot_login=_input(env, "bot_login") or ACTIONS_BOT,
        fail_on_not_ready=_flag(env, "fail_on_not_ready"),
    )


def _read_event(env: Mapping[str, str]) -> Event:
    name = _required(env, "GITHUB_EVENT_NAME")
    path = Path(_required(env, "GITHUB_EVENT_PATH"))
    try:
        if path.stat().st_size > MAX_BODY_BYTES:
            raise ActionConfigError(f"GITHUB_EVENT_PATH: larger than {MAX_BODY_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise ActionConfigError(f"GITHUB_EVENT_PATH: cannot read {path}: {exc.strerror}") from None
    run = f"{env.get('GITHUB_RUN_ID', '0')}-{env.get('GITHUB_RUN_ATTEMPT', '1')}"
    try:
        return event_from_action(name, raw.decode("utf-8", errors="strict"), run)
    except MalformedDelivery as exc:
        raise ActionConfigError(str(exc)) from None  # it names GITHUB_EVENT_PATH
    except UnicodeDecodeError:
        raise ActionConfigError("GITHUB_EVENT_PATH: the event file is not UTF-8") from None


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ActionConfigError(f"{name} is not set: run specbot action inside a workflow step")
    return value


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value else None


def _input(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper()}", "").strip()


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = _input(env, name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ActionConfigError(f"input {name}: {value!r} is not 'true' or 'false'")


def _number(
    env: Mapping[str, str], name: str, kind: type[int] | type[float], low: float, high: float
) -> Any:
    text = _input(env, name)
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ActionConfigError(f"input {name}: {text!r} is not a number") from None
    if not low <= value <= high or value != value:  # NaN is not within any range
        raise ActionConfigError(f"input {name}: {text} is not between {low:g} and {high:g}")
    return value


def _config_path(text: str) -> str:
    parts = text.split("/")
    if text.startswith("/") or any(part in ("", ".", "..") for part in parts) or "%" in text:
        raise ActionConfigError(f"input config_path: {text!r} is not a path inside the repository")
    return text
