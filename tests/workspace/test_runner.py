"""Configured commands, deadlines, secrets, network and reports: real processes in tmp dirs."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.agents.tools import detect_isolation
from bot.workspace import (
    CommandPlan,
    RunEnvironment,
    WorkspaceConfig,
    detect_commands,
    run_setup,
    run_tests,
    setup_prefix,
)
from tests.workspace.project import write_project

JUNIT = (
    '<testsuite><testcase classname="t" name="test_c1_ok" time="0.1"/>'
    '<testcase classname="t" name="test_c2_bad"><failure message="no"/></testcase></testsuite>'
)


def plan_for(checkout: Path, tmp_path: Path, **config: object) -> CommandPlan:
    """The plan for ``checkout`` with a workspace section made of ``config``."""
    return detect_commands(
        checkout,
        WorkspaceConfig.model_validate(config),
        venv_dir=tmp_path / "venv",
        report_path=tmp_path / "reports" / "junit.xml",
    )


def test_configured_commands_are_used_over_detection(tmp_path: Path) -> None:
    """A Python project with workspace.setup and workspace.test runs those, not pip and pytest."""
    checkout = write_project(tmp_path / "repo")
    plan = plan_for(
        checkout,
        tmp_path,
        setup=["echo prepared > prepared.txt", "echo second"],
        test=f"cat prepared.txt && printf '{JUNIT}' > \"$SPECBOT_TEST_REPORT\"",
        test_timeout_seconds=30,
    )
    assert plan.kind == "configured"
    assert plan.setup == ("echo prepared > prepared.txt", "echo second")
    environment = RunEnvironment()
    setup = run_setup(checkout, plan, environment)
    assert [step.output.strip() for step in setup.steps] == ["", "second"]
    result = run_tests(checkout, plan, environment)
    assert "prepared" in result.output
    assert result.report is not None and result.report.run is not None
    assert result.report.run.count("failed") == 1
    assert result.status == "failed"  # exit code 0, but the report has a failing test
    assert not (tmp_path / "venv").exists()


def test_a_configured_test_alone_keeps_the_detected_setup(tmp_path: Path) -> None:
    """workspace.test without workspace.setup still installs the project as detected."""
    checkout = write_project(tmp_path / "repo")
    plan = plan_for(checkout, tmp_path, test="python -m pytest -x")
    assert any("pip install" in command for command in plan.setup)
    assert plan.test is not None and "--junitxml=" in plan.test
    assert plan.venv_dir == tmp_path / "venv"
    both = plan_for(checkout, tmp_path, setup="make deps", test="python -m pytest -x")
    assert both.venv_dir is None and both.setup == ("make deps",)


def test_a_report_at_the_configured_path_in_the_checkout_is_read(tmp_path: Path) -> None:
    """workspace.test_report names the JUnit file a non-pytest runner writes."""
    checkout = write_project(tmp_path / "repo")
    command = f"mkdir -p build && printf '{JUNIT}' > build/junit.xml"
    plan = plan_for(checkout, tmp_path, test=command, test_report="build/junit.xml")
    (checkout / "build").mkdir()
    (checkout / "build" / "junit.xml").write_text("<testsuite><testcase name='stale'/></testsuite>")
    result = run_tests(checkout, plan, RunEnvironment())
    assert result.report is not None and result.report.run is not None
    assert [case.name for case in result.report.run.cases] == ["test_c1_ok", "test_c2_bad"]
    assert not (checkout / "build" / "junit.xml").exists()  # read, then kept out of the commit
    plan = plan_for(checkout, tmp_path, test="true", test_report="build/junit.xml")
    (checkout / "build" / "junit.xml").write_text("<testsuite><testcase name='stale'/></testsuite>")
    stale = run_tests(checkout, plan, RunEnvironment())
    assert stale.report is not None and stale.report.run is None  # last run's report is not read


def test_a_report_symlinked_out_of_the_checkout_is_ignored(tmp_path: Path) -> None:
    """A configured report path that resolves outside the checkout is not read."""
    checkout = write_project(tmp_path / "repo")
    (tmp_path / "elsewhere.xml").write_text(JUNIT)
    plan = plan_for(
        checkout,
        tmp_path,
        test=f"ln -s {tmp_path / 'elsewhere.xml'} report.xml",
        test_report="report.xml",
    )
    result = run_tests(checkout, plan, RunEnvironment())
    assert result.report is not None and result.report.run is None
    assert any("outside the checkout" in note for note in result.notes)


def test_invalid_report_xml_is_a_note_not_a_crash(tmp_path: Path) -> None:
    """A broken report leaves the run without parsed results and says why."""
    checkout = write_project(tmp_path / "repo")
    plan = plan_for(checkout, tmp_path, test='echo "<testsuite>" > "$SPECBOT_TEST_REPORT"')
    result = run_tests(checkout, plan, RunEnvironment())
    assert result.report is not None and result.report.run is None
    assert any("could not be read" in note for note in result.notes)


def _alive(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("isolate", [False, True])
def test_a_hanging_test_command_is_killed_with_its_children(tmp_path: Path, isolate: bool) -> None:
    """At the deadline the command and the processes it started are all killed."""
    checkout = write_project(tmp_path / "repo")
    marker = f"{300 + secrets.randbelow(1000)}.{secrets.randbelow(10**6)}"
    command = f"echo started; sleep {marker} & (sleep {marker}); echo never"
    plan = plan_for(checkout, tmp_path, test=command, test_timeout_seconds=1.5)
    result = run_tests(checkout, plan, RunEnvironment(isolate_tests=isolate))
    assert result.status == "timed_out"
    assert result.report is not None and result.report.exit_code < 0
    assert "started" in result.output and "never" not in result.output
    assert "timed out after 1.5 s" in result.output
    deadline = time.monotonic() + 5
    while _alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(marker) == []


def test_secrets_in_the_service_environment_are_not_visible_to_tests(tmp_path: Path) -> None:
    """Tokens in the parent environment, by name or by value, never reach the test command."""
    checkout = write_project(tmp_path / "repo")
    token_value = "ghp_" + secrets.token_hex(18)
    base = {
        **os.environ,
        "GITHUB_TOKEN": "plain-secret-by-name",
        "INNOCENT_LOOKING": token_value,
        "SPECBOT_VISIBLE": "yes-visible",
    }
    plan = plan_for(
        checkout, tmp_path, test="env; cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n'"
    )
    result = run_tests(checkout, plan, RunEnvironment(base_env=base))
    assert "plain-secret-by-name" not in result.output
    assert token_value not in result.output
    assert "SPECBOT_TEST_REPORT=" in result.output
    assert "yes-visible" not in result.output  # not on the allow-list either


def test_no_test_command_found_is_a_clear_result(tmp_path: Path) -> None:
    """A repository with nothing to detect and nothing configured reports why nothing ran."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "README.md").write_text("# notes\n")
    plan = plan_for(tmp_path / "repo", tmp_path)
    assert plan.kind == "unknown" and plan.setup == () and plan.test is None
    result = run_tests(tmp_path / "repo", plan, RunEnvironment())
    assert result.status == "no_test_command"
    assert result.report is None
    assert result.notes and "no test command found" in result.notes[0]
    assert "workspace.test" in result.notes[0]


def test_a_failing_setup_command_stops_the_rest(tmp_path: Path) -> None:
    """The first failing setup command ends setup; later ones do not run."""
    checkout = write_project(tmp_path / "repo")
    plan = plan_for(checkout, tmp_path, setup=["echo one", "exit 3", "echo three"], test="true")
    setup = run_setup(checkout, plan, RunEnvironment())
    assert not setup.ok
    assert [step.exit_code for step in setup.steps] == [0, 3]
    assert setup.failure() is not None and "`exit 3` exited 3" in setup.failure()  # type: ignore[operator]
    assert (
        run_setup(checkout, plan_for(checkout, tmp_path, setup="true"), RunEnvironment()).failure()
        is None
    )


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections until the test ends."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.mark.skipif(
    not detect_isolation().network_isolated, reason="this machine cannot isolate the network"
)
def test_setup_has_the_network_and_tests_do_not(tmp_path: Path, listening_port: int) -> None:
    """The same connection succeeds during setup and fails during the tests."""
    checkout = write_project(tmp_path / "repo")
    connect = f"exec 3<>/dev/tcp/127.0.0.1/{listening_port} && echo connected"
    plan = plan_for(checkout, tmp_path, setup=[connect], test=connect)
    setup = run_setup(checkout, plan, RunEnvironment())
    assert setup.ok and "connected" in setup.steps[0].output
    result = run_tests(checkout, plan, RunEnvironment())
    assert result.status == "failed"
    assert "connected" not in result.output
    assert any(
        "network and process table isolated" in n or "network isolated" in n for n in result.notes
    )


def test_a_report_without_test_cases_is_not_a_pass(tmp_path: Path) -> None:
    """Exit code 0 with an empty JUnit report counts as failed: no test ran."""
    checkout = write_project(tmp_path / "repo")
    plan = plan_for(checkout, tmp_path, test='echo "<testsuite/>" > "$SPECBOT_TEST_REPORT"')
    result = run_tests(checkout, plan, RunEnvironment())
    assert result.status == "failed"
    assert result.report is not None and result.report.exit_code == 0
    assert any("no test ran" in note for note in result.notes)


NODE_TEST = """
const fs = require("fs");
const ok = 1 + 1 === 2;
fs.writeFileSync(process.env.SPECBOT_TEST_REPORT,
  '<testsuite><testcase classname="math" name="test_c1_adds"/></testsuite>');
console.log("node tests ran");
process.exit(ok ? 0 : 1);
"""


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_a_node_project_is_installed_and_tested_with_npm(tmp_path: Path) -> None:
    """package.json with a test script: npm install, then npm test, with its report read."""
    package = {"name": "tiny", "version": "1.0.0", "scripts": {"test": "node test.js"}}
    checkout = write_project(
        tmp_path / "repo", {"package.json": json.dumps(package), "test.js": NODE_TEST}
    )
    plan = plan_for(checkout, tmp_path)
    assert (plan.kind, plan.test) == ("node", "npm test")
    # No dependencies and no registry calls: the tests stay offline.
    offline = {
        "npm_config_offline": "true",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    }
    environment = RunEnvironment(extra_env=offline)
    setup = run_setup(checkout, plan, environment)
    assert setup.ok, setup.steps[-1].output
    result = run_tests(checkout, plan, environment)
    assert result.status == "passed", result.output
    assert "node tests ran" in result.output
    assert result.report is not None and result.report.run is not None
    assert [case.name for case in result.report.run.cases] == ["test_c1_adds"]


@pytest.mark.skipif(setup_prefix() == (), reason="this machine cannot give setup its own pids")
def test_a_daemon_started_by_setup_does_not_outlive_it(tmp_path: Path) -> None:
    """A process that left the process group (setsid) during setup is gone afterwards."""
    checkout = write_project(tmp_path / "repo")
    marker = f"{400 + secrets.randbelow(1000)}.{secrets.randbelow(10**6)}"
    plan = plan_for(
        checkout, tmp_path, setup=[f"setsid sleep {marker} >/dev/null 2>&1 & sleep 0.5; echo ok"]
    )
    setup = run_setup(checkout, plan, RunEnvironment())
    assert setup.ok and setup.steps[0].output.strip() == "ok"
    deadline = time.monotonic() + 5
    while _alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(marker) == []
