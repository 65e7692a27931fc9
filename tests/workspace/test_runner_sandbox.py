"""The test command runs the checkout's code (written by an agent): in the agents' sandbox it
cannot read the service's files either, and its report still reaches the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.agents.tools import SandboxPolicy, shell_mode
from bot.workspace import RunEnvironment, run_setup, run_tests
from tests.workspace.project import write_project
from tests.workspace.test_runner import JUNIT, plan_for

KEY = "canary-test-key-4b7e1d"

pytestmark = pytest.mark.skipif(
    shell_mode(SandboxPolicy()).kind != "sandbox", reason="no bubblewrap sandbox here"
)


def test_a_test_command_cannot_read_the_key_and_its_report_is_read(tmp_path: Path) -> None:
    """A test that prints the key by absolute and relative path prints nothing of it; the
    JUnit report it writes outside the checkout is still read; nothing it writes elsewhere
    reaches the machine."""
    key = tmp_path / "app-key.pem"
    key.write_text(KEY)
    checkout = write_project(tmp_path / "repo")
    command = (
        f"cat {key} ../app-key.pem; touch ../planted; printf '{JUNIT}' > \"$SPECBOT_TEST_REPORT\""
    )
    plan = plan_for(checkout, tmp_path, test=command, test_timeout_seconds=60)
    result = run_tests(checkout, plan, RunEnvironment(sandbox=SandboxPolicy(hidden=(key,))))
    assert KEY not in result.output
    assert result.output.count("No such file or directory") == 2
    assert not (tmp_path / "planted").exists()
    assert result.report is not None and result.report.run is not None
    assert len(result.report.run.cases) > 0
    assert "tests ran in the bubblewrap sandbox (network isolated)" in result.notes


def test_without_a_policy_the_runner_isolates_as_before(tmp_path: Path) -> None:
    """No policy given: the unshare isolation, and its note, as before the sandbox."""
    checkout = write_project(tmp_path / "repo")
    plan = plan_for(checkout, tmp_path, test=f"printf '{JUNIT}' > \"$SPECBOT_TEST_REPORT\"")
    result = run_tests(checkout, plan, RunEnvironment())
    assert not any("bubblewrap" in note for note in result.notes)
    assert result.report is not None and result.report.run is not None


def test_setup_runs_in_the_sandbox_and_still_builds_the_virtual_environment(
    tmp_path: Path,
) -> None:
    """Setup runs the checkout's build code (an agent's, in a follow-up round): it cannot read
    the key or write outside, while the detected setup still creates the run's environment."""
    key = tmp_path / "app-key.pem"
    key.write_text(KEY)
    checkout = write_project(tmp_path / "repo")
    steal = f"cat {key} ../app-key.pem; touch ../planted; echo built > built.txt"
    plan = plan_for(checkout, tmp_path, setup=[steal], test_timeout_seconds=60)
    policy = SandboxPolicy(hidden=(key,))
    stolen = run_setup(checkout, plan, RunEnvironment(sandbox=policy))
    assert KEY not in stolen.steps[0].output
    assert stolen.steps[0].output.count("No such file or directory") == 2
    assert not (tmp_path / "planted").exists()
    assert (checkout / "built.txt").read_text() == "built\n"
    detected = plan_for(checkout, tmp_path)
    assert detected.venv_dir is not None and detected.setup
    venv_step = detected.setup[0]  # creates the run's virtual environment
    built = run_setup(
        checkout,
        detected.model_copy(update={"setup": (venv_step,)}),
        RunEnvironment(sandbox=policy),
    )
    assert built.ok, built.steps[-1].output
    assert (detected.venv_dir / "bin" / "python").exists()
