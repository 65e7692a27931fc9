"""Talking to the runner: masks, annotations, step outputs and the job summary.

The formats are GitHub's ("Workflow commands for GitHub Actions"): a command's message escapes
``%``, CR and LF; a property also escapes ``:`` and ``,``; an output is written to
``GITHUB_OUTPUT`` in the multi-line form with a random delimiter, so no value (a model's words
among them) can end it early and set an output of its own.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TextIO

Level = Literal["notice", "warning", "error"]


def escape_data(text: str) -> str:
    """A command's message, escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value, escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def add_mask(value: str, out: TextIO | None = None) -> None:
    """Have the runner print ``***`` for ``value`` (each line of it) from now on."""
    stream = out or sys.stdout
    for line in value.splitlines() or [value]:
        if line.strip():
            stream.write(f"::add-mask::{escape_data(line)}\n")
    stream.flush()


def annotate(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """One annotation on the run (on ``file``:``line`` when given)."""
    properties = []
    if file:
        properties.append(f"file={escape_property(file)}")
        if line is not None and line > 0:
            properties.append(f"line={line}")
    if title:
        properties.append(f"title={escape_property(title)}")
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    stream = out or sys.stdout
    stream.write(f"{head}::{escape_data(message)}\n")
    stream.flush()


def stop_commands(out: TextIO | None = None) -> str:
    """Stop the runner reading workflow commands until ``resume_commands`` (for echoed text)."""
    token = secrets.token_hex(16)
    stream = out or sys.stdout
    stream.write(f"::stop-commands::{token}\n")
    return token


def resume_commands(token: str, out: TextIO | None = None) -> None:
    """Let the runner read workflow commands again."""
    stream = out or sys.stdout
    stream.write(f"::{token}::\n")
    stream.flush()


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs to ``GITHUB_OUTPUT``, each in the delimited multi-line form."""
    lines = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8") as stream:
        stream.write("".join(lines))


def append_summary(path: Path, markdown: str) -> None:
    """Append Markdown to the job summary (``GITHUB_STEP_SUMMARY``)."""
    with path.open("a", encoding="utf-8") as stream:
        stream.write(markdown if markdown.endswith("\n") else markdown + "\n")
