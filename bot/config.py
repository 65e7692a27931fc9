"""The target repository's configuration, ``.github/specbot.yml``, and its loader.

Sections: ``gate:`` (the spec-quality gate), ``agents:`` and ``flows:`` (the team, see
``bot.orchestra.config``), ``workspace:`` (setup and test commands, protected paths, see
``bot.workspace``), ``review:`` (the verdict policy, pull requests from forks); more sections
join ``RepoConfig`` as features land.
Unknown keys are errors (a typo must not silently turn a setting off), every key has a
default (an empty file is a valid configuration), and errors name the line of the bad key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.orchestra.config import TeamConfig
from bot.review import ReviewPolicy
from bot.spec import GateConfig
from bot.wording import plain_error
from bot.workspace import WorkspaceConfig

DEFAULT_PATH = ".github/specbot.yml"


class TriggerConfig(BaseModel):
    """``triggers:``: what starts a run and who may start one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(
        default="spec", min_length=1, max_length=50, description="The label that starts a run."
    )
    reply_to_unauthorised: bool = Field(
        default=True,
        description="Reply once, politely, to a user without write access who tries a run.",
    )
    allow_bots: list[str] = Field(
        default_factory=list,
        description="Bot logins (e.g. 'renovate[bot]') whose labels and commands are obeyed.",
    )


class ReviewConfig(ReviewPolicy):
    """``review:``: when the review requests changes, and whether forks are reviewed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forks: bool = Field(
        default=False,
        description="Review pull requests from forks when a person with write access asks "
        "('/specbot review'); their code and text come from outside the repository.",
    )
    auto: Literal["own", "collaborators", "request"] = Field(
        default="own",
        description="Which pushes are reviewed without being asked: 'own' (specbot's pull "
        "requests), 'collaborators' (also every pull request from a branch of this repository, "
        "which only people with write access can push), 'request' (none: '/specbot review' or "
        "Re-run).",
    )


class RepoConfig(TeamConfig):
    """Everything a repository can configure in ``.github/specbot.yml``.

    ``agents:`` and ``flows:`` come from ``TeamConfig``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    gate: GateConfig = Field(default_factory=GateConfig, description="The spec-quality gate.")
    workspace: WorkspaceConfig = Field(
        default_factory=WorkspaceConfig,
        description="Setup and test commands for a run's checkout, and protected paths.",
    )
    triggers: TriggerConfig = Field(default_factory=TriggerConfig)
    plan_approval: bool = Field(
        default=False,
        description="Post the plan and wait for '/specbot approve' before implementing.",
    )
    review: ReviewConfig = Field(
        default_factory=ReviewConfig,
        description="When the review requests changes; which pull requests are reviewed.",
    )

    def flow_enabled(self, name: str) -> bool:
        """Whether the flow ``name`` runs here (``enabled: false`` or ``null`` turn it off)."""
        flow = self.flows.get(name)
        return flow is not None and flow.enabled


class ConfigError(ValueError):
    """A configuration file that cannot be used: where, and what is wrong."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        super().__init__(f"{source}:{line}: {message}" if line else f"{source}: {message}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (YAML keeps the last one silently)."""


def _parse_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data, or a ConfigError with a line."""
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        _reject_duplicate_keys(node, source)
        data = yaml.load(text, Loader=_UniqueKeyLoader) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(source, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, 0, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(source, 0, "invalid YAML: nested too deeply") from None
    return node, data


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s values in place, mappings merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, dict):
            merged[key] = _merged(below, value)
        else:
            merged[key] = value
    return merged


def _reject_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                raise ConfigError(source, key.start_mark.line + 1, f"duplicate key {name!r}")
            seen.add(name)
            _reject_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, source)


def _line_of(node: yaml.Node | None, location: tuple[int | str, ...]) -> int:
    """The line of the deepest node on the error's path (the key itself when it exists)."""
    line = node.start_mark.line + 1 if node is not None else 0
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if str(kv[0].value) == str(part)), None)
            if match is None:
                return line
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_repo_config(
    text: str, source: str = DEFAULT_PATH, overrides: Mapping[str, Any] | None = None
) -> RepoConfig:
    """Parse and validate ``.github/specbot.yml`` text; raise ``ConfigError`` with a line.

    ``overrides`` (the same keys, nested) replace what the file says, key by key.
    """
    node, data = _parse_yaml(text, source)
    if data is None and not overrides:
        return RepoConfig()
    if data is not None and not isinstance(data, dict):
        raise ConfigError(source, 1, "the file must be a mapping of sections (e.g. 'gate:')")
    # An empty section ("gate:" with nothing under it) means "the defaults".
    data = {key: {} if value is None else value for key, value in (data or {}).items()}
    data = _merged(data, overrides or {})
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = tuple(first["loc"])
        dotted = ".".join(str(part) for part in location) or "(top level)"
        message = plain_error(first)
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "literal_error":
            message = f"unknown value {first['input']!r}"
        raise ConfigError(source, _line_of(node, location), f"{dotted}: {message}") from None
