"""The demo's content: the accessors, the gate's verdicts, the seeded repository and the script."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.agents import REVIEWER_ROLES, load_role
from bot.demo import (
    DemoSpec,
    demo_data_dir,
    demo_question,
    demo_repo_dir,
    demo_script_path,
    demo_spec,
    demo_spec_not_ready,
)
from bot.evidence import link_criteria
from bot.localhub import LocalHub
from bot.scripted import load_script
from bot.spec import lint, parse_spec
from tests.demo.checkout import git, run_suite, seed_checkout

AGENT_ROLES = ("planner", "implementer", *REVIEWER_ROLES)


def repo_files() -> list[str]:
    """Every file of the demo repository, relative to it, sorted."""
    repo = demo_repo_dir()
    return sorted(str(path.relative_to(repo)) for path in repo.rglob("*") if path.is_file())


def test_accessors_return_the_shipped_files():
    """Every accessor points into the package's data directory and returns non-empty content."""
    data = demo_data_dir()
    assert demo_repo_dir() == data / "repo"
    assert demo_script_path() == data / "script.yaml"
    spec = demo_spec()
    assert isinstance(spec, DemoSpec)
    assert spec.title == "Import invoice line items from CSV text"
    assert spec.body == (data / "spec.md").read_text("utf-8")
    assert demo_spec_not_ready().body == (data / "spec-not-ready.md").read_text("utf-8")
    assert demo_question().startswith("@specbot ")


def test_the_demo_spec_is_ready_with_four_criteria():
    """The gate finds the demo's spec ready with a full score and four checklist criteria."""
    verdict = lint(demo_spec().body)
    assert verdict.ready, [f.id for f in verdict.findings]
    assert verdict.score == 100
    criteria = parse_spec(demo_spec().body).criteria
    assert [c.kind for c in criteria] == ["checklist"] * 4
    assert "missing column: unit_price" in criteria[3].text


def test_the_not_ready_spec_is_stopped_by_the_gate():
    """The not-ready spec fails the gate on vague criteria, place and failure handling."""
    verdict = lint(demo_spec_not_ready().body)
    assert not verdict.ready
    errors = {f.id for f in verdict.findings if f.severity == "error"}
    # "should be fast and user-friendly" is a criterion, and a vague one (RUBRIC v0.2 0.3, 0.5)
    assert {"ACC-002", "CTX-001", "ERR-001", "STR-003"} <= errors


def test_the_seeded_repository_is_a_tool_config_only_python_project(tmp_path: Path):
    """The repository needs no install (no [project] table) and its own tests pass as seeded."""
    repo = demo_repo_dir()
    files = repo_files()
    assert 8 <= len(files) <= 15, files
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in files)
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))
    assert set(pyproject) == {"tool"}  # no [project] or [build-system]: nothing to install
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    checkout = seed_checkout(repo, tmp_path / "checkout")
    done, run = run_suite(checkout, tmp_path / "report.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert run.ok and run.count("passed") >= 8
    # Before the feature, no test speaks for any criterion.
    criteria = [c.text for c in parse_spec(demo_spec().body).criteria]
    assert {e.status for e in link_criteria(criteria, run)} == {"unverified"}


def test_localhub_seeds_every_file_of_the_repository(tmp_path: Path):
    """A localhub repository seeded from the directory holds exactly its files on main."""
    local = LocalHub(data_dir=tmp_path / "hub")
    try:
        local.add_repo("northwind/invoices", source=demo_repo_dir())
        bare = local.hub.repo_path("northwind/invoices")
        listed = git(bare, "ls-tree", "-r", "--name-only", "main").split()
    finally:
        local.close()
    repo = demo_repo_dir()
    assert sorted(listed) == sorted(
        str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()
    )


def test_the_script_loads_and_covers_every_agent_role():
    """The script parses, uses no latency, and has a turn for each role's prompt heading."""
    script = load_script(demo_script_path())
    assert script.latency == 0
    roles = [turn.when.role for turn in script.turns if turn.when.role]
    for name in AGENT_ROLES:
        prompt = load_role(name).prompt.lower()
        assert any(role.lower() in prompt for role in roles), f"no turn for role {name}"
    # Every role a turn names is a real role's heading, or the responder the flows add.
    headings = {load_role(name).prompt.splitlines()[0].lstrip("# ") for name in AGENT_ROLES}
    assert set(roles) <= headings | {"Role: responder"}


@pytest.mark.parametrize("marker", ["# Implement the plan", "# Follow-up round"])
def test_each_implementer_round_starts_on_its_marker(marker: str):
    """One implementer turn 0 answers each task marker the flows put in the first message."""
    script = load_script(demo_script_path())
    starts = [
        turn
        for turn in script.turns
        if turn.when.role == "Role: implementer" and turn.when.turn == 0
    ]
    assert [turn.when.last_user_contains for turn in starts].count(marker) == 1
