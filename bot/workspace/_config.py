"""The ``workspace:`` section of ``.github/specbot.yml``: setup, tests and protected paths.

Every key is optional: without ``setup`` and ``test`` specbot detects the project's kind and
uses its usual commands (see ``bot.workspace.detect_commands``). Paths agents must not change
(CI workflows, specbot's own configuration) are restored before a commit unless listed in
``allow_paths``; ``.git`` can never be allowed.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# Paths restored to their base content before a commit unless allowed by the repository.
PROTECTED_PATHS: tuple[str, ...] = (".github/workflows/", ".github/specbot.yml")
MAX_COMMAND_CHARS = 4_000


def _check_command(command: str) -> str:
    if not command.strip():
        raise ValueError("a command must not be empty")
    if "\x00" in command:
        raise ValueError("a command must not contain a NUL byte")
    if len(command) > MAX_COMMAND_CHARS:
        raise ValueError(f"a command must be at most {MAX_COMMAND_CHARS} characters")
    return command


def _check_relative_path(path: str) -> str:
    """A repository-relative POSIX path without ``..``, NUL or a leading ``/``."""
    if not path.strip() or "\x00" in path:
        raise ValueError("a path must be a non-empty repository path")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"{path!r} must be relative to the repository root, without '..'")
    return path


def _check_allowed_path(path: str) -> str:
    _check_relative_path(path)
    if PurePosixPath(path).parts[0].casefold() == ".git":
        raise ValueError("'.git' can never be allowed")
    return path


# Validated one by one, so that an error names the line of the bad entry.
Command = Annotated[str, AfterValidator(_check_command)]
AllowedPath = Annotated[str, AfterValidator(_check_allowed_path)]
RelativePath = Annotated[str, AfterValidator(_check_relative_path)]


class WorkspaceConfig(BaseModel):
    """How a run's checkout is prepared and tested, and which protected paths agents may change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    setup: list[Command] = Field(
        default_factory=list,
        description=(
            "Shell command(s) run in the checkout before the agents start, with network access"
            " (e.g. installing dependencies). Default: detected from the project."
        ),
    )
    setup_timeout_seconds: float = Field(default=900.0, gt=0, le=7_200)
    test: Command | None = Field(
        default=None,
        description=(
            "Shell command that runs the tests, without network where the machine allows it."
            " Default: detected (pytest for Python, npm test for Node)."
        ),
    )
    test_timeout_seconds: float = Field(default=900.0, gt=0, le=7_200)
    test_report: RelativePath | None = Field(
        default=None,
        description=(
            "JUnit XML file (relative to the repository) the test command writes; pytest"
            " commands get --junitxml automatically, and any command may write to"
            " $SPECBOT_TEST_REPORT instead."
        ),
    )
    allow_paths: list[AllowedPath] = Field(
        default_factory=list,
        description=(
            "Protected paths agents may change: '.github/workflows/' (or one file under it)"
            " and '.github/specbot.yml'. '.git' can never be allowed."
        ),
    )

    @field_validator("setup", mode="before")
    @classmethod
    def _one_command_or_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value
