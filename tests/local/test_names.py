"""How ``specbot run`` names the spec, its title and the branch (pure helpers of the CLI)."""

from __future__ import annotations

from pathlib import Path

from bot.cli.run import spec_name, spec_title


def test_spec_inside_the_repository_is_named_by_its_path_there(tmp_path: Path) -> None:
    """A spec in the repository: its repository path; elsewhere: its file name only."""
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    assert spec_name(root / "specs" / "login.md", root) == "specs/login.md"
    assert spec_name(tmp_path / "elsewhere" / "login.md", root) == "login.md"


def test_title_is_the_first_level_1_heading_else_the_file_name() -> None:
    """`# Title` wins; a spec with only `##` sections is titled after its file."""
    assert spec_title("intro\n## Context\n# Paginate orders\n", Path("x.md")) == "Paginate orders"
    assert spec_title("## Context\ntext\n", Path("specs/paginate_orders-v2.md")) == (
        "paginate orders v2"
    )
