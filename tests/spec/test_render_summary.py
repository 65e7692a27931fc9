"""The summary table for several specs."""

from __future__ import annotations

from rich.console import Console

from bot.spec import lint, render_summary

READY = (
    "CONTEXT: The `/export` page.\nREQUIREMENT: The system must export rows.\n"
    "- [ ] Export of 10 rows returns 10 lines within 2 s.\n"
    '- [ ] When the export fails, the page shows "Export failed" and keeps the filters.\n'
)


def _render(paths: list[str]) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(render_summary([(path, lint(READY)) for path in paths]))
    return console.export_text()


def test_paths_are_shown_relative_to_their_common_folder() -> None:
    """The shared folder moves into the title; each row shows the rest of its path."""
    text = _render(["specs/examples/ready/a.md", "specs/examples/not-ready/b.md"])
    assert "Summary (specs/examples/)" in text
    assert " ready/a.md " in text and " not-ready/b.md " in text
    assert "specs/examples/ready/a.md" not in text


def test_paths_without_a_shared_folder_are_shown_whole() -> None:
    """Files from different roots, or without a folder, keep their full paths."""
    text = _render(["a.md", "docs/b.md"])
    assert "Summary\n" in text or "Summary " in text
    assert " a.md " in text and " docs/b.md " in text
    absolute = _render(["/tmp/x/a.md", "/tmp/x/b.md"])
    assert " /tmp/x/a.md " in absolute
