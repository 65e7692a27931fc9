"""The demo's content, shipped as package data: a repository to seed, issues and a model script."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

_PACKAGE = "bot.demo"


class DemoDataError(Exception):
    """The demo's package data is missing or malformed (a broken installation)."""


@dataclass(frozen=True)
class DemoSpec:
    """An issue the demo opens: its title and its Markdown body."""

    title: str
    body: str


class _IssueEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    body: str = Field(min_length=1)  # a file name next to issues.yaml


class _Issues(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: _IssueEntry
    spec_not_ready: _IssueEntry
    question: str = Field(min_length=1)


def demo_data_dir() -> Path:
    """The directory holding the demo's data files."""
    data = resources.files(_PACKAGE).joinpath("data")
    # The repository is seeded from a real directory (git and localhub read it), so the
    # package must be installed unpacked, as pip and uv always do for wheels.
    if not isinstance(data, Path) or not data.is_dir():
        raise DemoDataError(f"specbot's demo data is not a directory on disk: {data}")
    return data


def _data_file(name: str) -> Path:
    path = demo_data_dir() / name
    if not path.is_file():
        raise DemoDataError(f"specbot's demo data file is missing: {path}")
    return path


def demo_repo_dir() -> Path:
    """The small Python project (the ``invoices`` package with tests) the demo seeds."""
    path = demo_data_dir() / "repo"
    if not (path / "pyproject.toml").is_file():
        raise DemoDataError(f"specbot's demo repository is missing or incomplete: {path}")
    return path


def demo_script_path() -> Path:
    """The scripted model's script for the whole demo loop (``docs/scripted-model.md``)."""
    return _data_file("script.yaml")


@functools.cache
def _issues() -> _Issues:
    path = _data_file("issues.yaml")
    try:
        loaded: Any = yaml.safe_load(path.read_text("utf-8"))
        return _Issues.model_validate(loaded)
    except (yaml.YAMLError, ValidationError) as exc:
        raise DemoDataError(f"{path}: {exc}") from exc


def _issue(entry: _IssueEntry) -> DemoSpec:
    return DemoSpec(title=entry.title, body=_data_file(entry.body).read_text("utf-8"))


def demo_spec() -> DemoSpec:
    """The spec issue the demo opens: ready for the gate, with four acceptance criteria."""
    return _issue(_issues().spec)


def demo_spec_not_ready() -> DemoSpec:
    """A plausible spec that the gate finds not ready (vague criteria, a placeholder, no place)."""
    return _issue(_issues().spec_not_ready)


def demo_question() -> str:
    """The question the demo asks ``@specbot`` on the pull request; it needs no code change."""
    return _issues().question
