"""The GitHub Action's files agree with each other, with the project and with the docs.

``action.yml`` (the interface), ``action/requirements.txt`` (what it installs),
``pyproject.toml`` (what specbot needs), ``docs/action.md`` and ``docs/workflows/`` (what users
copy), and the README's smallest workflow. Schemas are SchemaStore's, as bundled with
check-jsonschema: no download.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

ACTION = ROOT / "action.yml"
REQUIREMENTS = ROOT / "action" / "requirements.txt"
DOC = ROOT / "docs" / "action.md"
EXAMPLES = sorted((ROOT / "docs" / "workflows").glob("*.yml"))
USES = "specbot-dev/specbot@"
# the inputs action.yml passes under a name of their own, not INPUT_<NAME>
RENAMED = {
    "github_token": "GITHUB_TOKEN",
    "anthropic_api_key": "ANTHROPIC_API_KEY",
    "anthropic_base_url": "ANTHROPIC_BASE_URL",
    "model": "SPECBOT_MODEL",
}
# where the Action runs: setup-python's 3.11 on a Linux x86_64 runner
RUNNER_MARKERS = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = load(ACTION)
    return loaded


def step(steps: list[dict[str, Any]], **match: str) -> dict[str, Any]:
    """The one step whose keys have these values."""
    found = [s for s in steps if all(s.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"{len(found)} steps match {match}"
    return found[0]


def pins() -> dict[str, Requirement]:
    """action/requirements.txt by normalised name (comments and blank lines skipped)."""
    pinned: dict[str, Requirement] = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name not in pinned, f"{requirement.name} is pinned twice"
        pinned[name] = requirement
    return pinned


def pinned_version(requirement: Requirement) -> str:
    """The one exact version a line pins; fails for anything else."""
    specifiers = list(requirement.specifier)
    assert len(specifiers) == 1 and specifiers[0].operator == "==", (
        f"{requirement} is not pinned with =="
    )
    version = specifiers[0].version
    assert "*" not in version, f"{requirement} pins no single version"
    assert not requirement.extras and requirement.marker is None and requirement.url is None, (
        f"{requirement}: a pin is a name and a version"
    )
    return version


def runtime_dependencies() -> list[Requirement]:
    with (ROOT / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)["project"]
    return [Requirement(text) for text in project["dependencies"]]


def fenced(path: Path, language: str = "yaml") -> list[str]:
    """The text of each fenced block in ``language``."""
    text = path.read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


def is_workflow(text: str) -> bool:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and "jobs" in loaded


def section(path: Path, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of that level."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, f"{path.name} has no section {heading!r}"
    return match.group(1)


def table_rows(text: str) -> dict[str, list[str]]:
    """A Markdown table's rows by their first cell's code span (other rows skipped)."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([^`]+)`", cells[0])
        if name is not None:
            assert name.group(1) not in rows, f"{name.group(1)} is in the table twice"
            rows[name.group(1)] = cells[1:]
    return rows


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def readme_workflows() -> list[str]:
    found = [text for text in fenced(ROOT / "README.md") if is_workflow(text)]
    assert found, "the README shows no workflow"
    return found


# --- action.yml and what it installs ---------------------------------------------------------


def test_the_environments_cache_key_ends_with_the_requirements_hash() -> None:
    """A changed requirements.txt must make a new environment, not restore the old one."""
    cache = step(action()["runs"]["steps"], id="cache")
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    key = cache["with"]["key"]
    assert key.endswith(f"-{digest}"), f"{key} should end with -{digest}"


def test_requirements_pin_every_runtime_dependency_and_nothing_else_unpinned() -> None:
    pinned = pins()
    versions = {name: pinned_version(requirement) for name, requirement in pinned.items()}
    for dependency in runtime_dependencies():
        name = canonicalize_name(dependency.name)
        assert name in versions, f"{dependency.name} (pyproject.toml) is not in requirements.txt"
        assert dependency.specifier.contains(versions[name], prereleases=True), (
            f"requirements.txt pins {name}=={versions[name]}, outside {dependency}"
        )


def test_pinned_packages_need_nothing_that_is_not_pinned() -> None:
    """action.yml installs with --no-deps: what a pinned package requires must be pinned too.

    Read from the installed packages' metadata, only for those installed here at the pinned
    version (another version's requirements may differ), with the runner's markers.
    """
    pinned = pins()
    extras: dict[str, set[str]] = {}
    for dependency in runtime_dependencies():
        extras.setdefault(canonicalize_name(dependency.name), set()).update(dependency.extras)
    checked = 0
    for name, requirement in pinned.items():
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if distribution.version != pinned_version(requirement):
            continue
        checked += 1
        for text in distribution.requires or []:
            needed = Requirement(text)
            wanted = extras.get(name, set()) or {""}
            if needed.marker is not None and not any(
                needed.marker.evaluate({**RUNNER_MARKERS, "extra": extra}) for extra in wanted
            ):
                continue
            assert canonicalize_name(needed.name) in pinned, (
                f"{name}=={distribution.version} requires {needed}, not in requirements.txt"
            )
    if not checked:
        pytest.skip("no pinned package is installed here at its pinned version")


def test_every_input_reaches_the_run_step_and_every_input_variable_is_an_input() -> None:
    spec = action()
    env: dict[str, str] = step(spec["runs"]["steps"], id="run")["env"]
    inputs = set(spec["inputs"])
    for name in inputs:
        variable = RENAMED.get(name, f"INPUT_{name.upper()}")
        assert env.get(variable) == f"${{{{ inputs.{name} }}}}", (
            f"input {name} should reach the Run specbot step as {variable}"
        )
    for variable, value in env.items():
        if variable.startswith("INPUT_"):
            name = variable.removeprefix("INPUT_").lower()
            assert name in inputs and name not in RENAMED, f"{variable} is not an input"
            assert value == f"${{{{ inputs.{name} }}}}", f"{variable} is {value}"
    step(spec["runs"]["steps"], id="run", name="Run specbot")


def test_every_output_is_the_run_steps_output_of_the_same_name() -> None:
    outputs = action()["outputs"]
    assert outputs
    for name, output in outputs.items():
        assert output["value"] == f"${{{{ steps.run.outputs.{name} }}}}", name


# --- the docs ----------------------------------------------------------------------------------


def test_every_input_is_documented_with_its_default() -> None:
    rows = table_rows(section(DOC, "Inputs"))
    inputs = action()["inputs"]
    assert set(rows) == set(inputs), "docs/action.md's inputs table and action.yml differ"
    for name, declared in inputs.items():
        default = str(declared.get("default", ""))
        shown = f"`{default}`" if default else ""
        assert rows[name][0] == shown, f"{name}: the docs say {rows[name][0]!r}, not {shown!r}"


def test_every_output_is_documented() -> None:
    rows = table_rows(section(DOC, "Outputs"))
    assert set(rows) == set(action()["outputs"]), "docs/action.md's outputs table differs"


def test_the_workflows_shown_in_the_docs_are_the_example_files() -> None:
    """Each whole workflow in docs/action.md is one of docs/workflows/, byte for byte, and each
    file is shown there once, after a link to it."""
    assert len(EXAMPLES) == 4, [path.name for path in EXAMPLES]
    shown = [text for text in fenced(DOC) if is_workflow(text)]
    files = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES}
    for text in shown:
        assert text in files.values(), f"a workflow in docs/action.md is no file:\n{text[:300]}"
    doc = DOC.read_text(encoding="utf-8")
    for name, text in files.items():
        assert shown.count(text) == 1, f"docs/action.md should show {name} once"
        link = f"[docs/workflows/{name}](workflows/{name}):\n\n```yaml\n{text}```"
        assert link in doc, f"docs/action.md should link {name} right before showing it"


# --- the example workflows -----------------------------------------------------------------------


def workflows() -> list[Any]:
    """Each example workflow and the README's, named for the test's id."""
    found = [pytest.param(path.name, load(path), id=path.name) for path in EXAMPLES]
    for n, text in enumerate(readme_workflows(), 1):
        found.append(pytest.param(f"README #{n}", yaml.safe_load(text), id=f"README-{n}"))
    return found


@pytest.mark.parametrize(("name", "workflow"), workflows())
def test_permissions_are_declared_and_never_write_all(name: str, workflow: dict[str, Any]) -> None:
    for job_name, job in workflow["jobs"].items():
        granted = job.get("permissions", workflow.get("permissions"))
        assert granted is not None, f"{name}: job {job_name} gets the repository's default token"
        assert isinstance(granted, dict), f"{name}: job {job_name} has permissions {granted!r}"
        assert set(granted.values()) <= {"read", "write", "none"}, (name, granted)


@pytest.mark.parametrize(("name", "workflow"), workflows())
def test_the_specbot_step_uses_only_inputs_of_the_action(
    name: str, workflow: dict[str, Any]
) -> None:
    inputs = set(action()["inputs"])
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    specbot = [s for s in steps if str(s.get("uses", "")).startswith(USES)]
    assert len(specbot) == 1, f"{name} should use {USES}v1 once"
    unknown = sorted(set(specbot[0].get("with", {})) - inputs)
    assert not unknown, f"{name} passes inputs action.yml does not have: {unknown}"
    assert "anthropic_api_key" in specbot[0]["with"], name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_each_example_keeps_the_database_and_waits_its_turn(path: Path) -> None:
    """Restored before the step, saved after it whatever happened, under the key restored
    from; one job at a time per issue or pull request; time limits that leave time to save."""
    number = "${{ github.event.issue.number || github.event.pull_request.number }}"
    (job,) = load(path)["jobs"].values()
    assert job["concurrency"] == {"group": f"specbot-{number}", "cancel-in-progress": False}
    steps = job["steps"]
    uses = [str(s.get("uses", "")) for s in steps]
    restore = steps[uses.index("actions/cache/restore@v4")]["with"]
    save_step = steps[uses.index("actions/cache/save@v4")]
    save = save_step["with"]
    specbot = next(i for i, u in enumerate(uses) if u.startswith(USES))
    assert uses.index("actions/cache/restore@v4") < specbot < uses.index("actions/cache/save@v4")
    assert save_step["if"] == "always()"
    # the database specbot action keeps (bot/action/_session.py), with its -wal file
    assert restore["path"] == save["path"] == "${{ runner.temp }}/specbot/specbot.sqlite*"
    assert restore["key"] == save["key"]
    assert restore["key"].startswith(restore["restore-keys"])
    assert restore["restore-keys"] == f"specbot-db-{number}-"
    assert "${{ github.run_id }}" in save["key"]
    assert steps[specbot]["timeout-minutes"] < job["timeout-minutes"]


# --- SchemaStore's schemas -----------------------------------------------------------------------


def test_action_yml_follows_schemastores_github_actions_schema() -> None:
    result = check_jsonschema("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflows_follow_schemastores_github_workflows_schema(tmp_path: Path) -> None:
    readme = []
    for n, text in enumerate(readme_workflows()):
        readme.append(tmp_path / f"readme-{n}.yml")
        readme[-1].write_text(text, encoding="utf-8")
    ci = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert ci, "the project has no CI workflow"
    result = check_jsonschema("vendor.github-workflows", *ci, *EXAMPLES, *readme)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: a job without runs-on is refused."""
    broken = tmp_path / "broken.yml"
    text = EXAMPLES[0].read_text(encoding="utf-8").replace("runs-on:", "runs_on:")
    broken.write_text(text, encoding="utf-8")
    result = check_jsonschema("vendor.github-workflows", broken)
    assert result.returncode == 1 and "runs-on" in result.stdout, result.stdout
