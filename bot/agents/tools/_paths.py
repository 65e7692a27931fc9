"""Paths an agent names, resolved strictly inside the run's checkout.

Every path from a model is hostile until proven otherwise: it must resolve (symlinks followed)
to the checkout or below it, carry no NUL byte, stay within sane lengths, and not fall under a
denied path (by default ``.git`` and ``.github/workflows``: history and CI are not the agent's).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

DEFAULT_DENIED: tuple[str, ...] = (".git", ".github/workflows")
MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255


def _shown(path: str) -> str:
    """A path for an error message, cut short so a hostile path cannot flood the reply."""
    return repr(path if len(path) <= 80 else path[:60] + "..." + path[-12:])


class ToolError(Exception):
    """A tool call that cannot be carried out; its message goes back to the model."""


class Workspace:
    """The checkout an agent works in, with the paths it may not touch."""

    def __init__(self, root: Path, denied: Iterable[str] = DEFAULT_DENIED) -> None:
        self.root = root.resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"workspace root is not a directory: {root}")
        self.denied = tuple(PurePosixPath(d.strip("/")) for d in denied if d.strip("/"))

    def resolve(self, path: str) -> Path:
        """The absolute path inside the checkout that ``path`` names, or ``ToolError``."""
        if not path.strip():
            raise ToolError("path is required")
        if "\x00" in path:
            raise ToolError("path contains a NUL byte")
        if len(path) > MAX_PATH_CHARS:
            raise ToolError(f"path is too long ({len(path)} characters; at most {MAX_PATH_CHARS})")
        candidate = Path(path)
        if candidate.is_absolute():
            # Models trained on the editor tool often send absolute paths; accept them when
            # they point into the checkout, as the checkout root or below it.
            if not candidate.is_relative_to(self.root):
                raise ToolError(f"path {_shown(path)} is outside the workspace {self.root}")
        else:
            candidate = self.root / candidate
        if any(len(part.encode()) > MAX_NAME_BYTES for part in candidate.parts):
            raise ToolError(f"path {_shown(path)} has a name longer than {MAX_NAME_BYTES} bytes")
        if ".." in PurePosixPath(path).parts:
            raise ToolError(f"path {_shown(path)} contains '..'; use a path inside the workspace")
        try:
            resolved = candidate.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on 3.11
            raise ToolError(f"path {_shown(path)} cannot be resolved: {exc}") from None
        if not resolved.is_relative_to(self.root):
            raise ToolError(f"path {_shown(path)} resolves outside the workspace (symlink escape)")
        relative = resolved.relative_to(self.root)
        if self.is_denied(relative):
            denied = self._denied_text()
            raise ToolError(f"path {_shown(path)} is denied by configuration ({denied})")
        return resolved

    def is_denied(self, relative: PurePosixPath | Path) -> bool:
        """Whether a path relative to the root falls under a denied path (case-insensitive)."""
        parts = tuple(p.casefold() for p in PurePosixPath(relative).parts)
        for denied in self.denied:
            prefix = tuple(p.casefold() for p in denied.parts)
            if parts[: len(prefix)] == prefix:
                return True
        return False

    def _denied_text(self) -> str:
        return ", ".join(f"{d}/" for d in self.denied)

    def relative(self, absolute: Path) -> str:
        """``absolute`` as a path relative to the root, for messages."""
        rel = os.path.relpath(absolute, self.root)
        return "." if rel == "." else rel
