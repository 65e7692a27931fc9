"""The workspace: section of .github/specbot.yml: defaults, shapes and clear errors."""

from __future__ import annotations

import json

import pytest

from bot.config import ConfigError, load_repo_config
from tests.conftest import RunSpecbot


def test_an_empty_file_gives_detection_and_the_protected_defaults() -> None:
    """Without a workspace section nothing is configured and nothing protected is allowed."""
    workspace = load_repo_config("").workspace
    assert workspace.setup == [] and workspace.test is None
    assert workspace.allow_paths == []
    assert load_repo_config("workspace:\n").workspace == workspace


def test_a_full_workspace_section_loads() -> None:
    """A single setup string becomes a list; every key is read."""
    text = (
        "workspace:\n"
        "  setup: make deps\n"
        "  setup_timeout_seconds: 60\n"
        "  test: make test\n"
        "  test_timeout_seconds: 120\n"
        "  test_report: build/junit.xml\n"
        "  allow_paths: [.github/workflows/]\n"
    )
    workspace = load_repo_config(text).workspace
    assert workspace.setup == ["make deps"]
    assert (workspace.test, workspace.test_report) == ("make test", "build/junit.xml")
    assert (workspace.setup_timeout_seconds, workspace.test_timeout_seconds) == (60, 120)
    assert workspace.allow_paths == [".github/workflows/"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("workspace:\n  allow_paths:\n    - .git/hooks\n", 3, "can never be allowed"),
        ("workspace:\n  test_report: ../x.xml\n", 2, "without '..'"),
        ("workspace:\n  setup: ['']\n", 2, "must not be empty"),
        ("workspace:\n  test_timeout_seconds: 0\n", 2, "test_timeout_seconds: must be more than 0"),
        ("workspace:\n  tests: pytest\n", 2, "unknown key"),
    ],
)
def test_bad_workspace_settings_name_their_line(text: str, line: int, fragment: str) -> None:
    """Each mistake is a ConfigError on the offending line."""
    with pytest.raises(ConfigError) as caught:
        load_repo_config(text)
    assert caught.value.line == line
    assert fragment in caught.value.message


def test_the_json_schema_documents_the_workspace_section(run_specbot: RunSpecbot) -> None:
    """`specbot config schema` lists the workspace keys."""
    result = run_specbot("config", "schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    workspace = schema["$defs"]["WorkspaceConfig"]["properties"]
    assert set(workspace) == {
        "setup",
        "setup_timeout_seconds",
        "test",
        "test_timeout_seconds",
        "test_report",
        "allow_paths",
    }
