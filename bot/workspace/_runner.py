"""Run a checkout's setup and tests: scrubbed environment, deadlines, measured results.

Setup gets the network (it installs dependencies); tests run without it where the machine
allows ``unshare --net``. Both see an environment built from an allow-list with every secret
dropped, and a private ``HOME``. The test result is what the runner measured: its exit code,
time, output tail and the JUnit report it wrote, parsed with ``bot.evidence.parse_junit``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.agents.tools import (
    SandboxPolicy,
    detect_isolation,
    scrub_git_remotes,
    scrubbed_environment,
    shell_mode,
)
from bot.agents.tools._bubblewrap import readonly_paths, sandbox_argv
from bot.evidence import MAX_REPORT_BYTES, EvidenceError, TestRun, parse_junit
from bot.pull_request import TestReport
from bot.workspace._detect import REPORT_ENV, CommandPlan
from bot.workspace._process import StepResult, run_step

TestStatus = Literal["passed", "failed", "timed_out", "no_test_command"]


@dataclass(frozen=True)
class RunEnvironment:
    """What the commands may see: the base environment (scrubbed) and where HOME is."""

    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    extra_env: Mapping[str, str] = field(default_factory=dict)
    home: Path | None = None  # a persistent HOME keeps pip's and npm's caches between runs
    isolate_tests: bool = True  # False: no namespaces at all (setup's private process table too)
    # Tests run the checkout's code: in the agents' sandbox where it can be built, else in
    # the ``unshare`` isolation above. None: the ``unshare`` isolation only.
    sandbox: SandboxPolicy | None = None
    output_limit: int = 60_000


class SetupResult(BaseModel):
    """The setup commands that ran, in order; the first failure stops the rest."""

    model_config = ConfigDict(frozen=True)

    steps: tuple[StepResult, ...]

    @property
    def ok(self) -> bool:
        """Whether every setup command succeeded (also when there was none)."""
        return all(step.ok for step in self.steps)

    def failure(self) -> str | None:
        """One sentence on the failed command for the tracking comment, None when setup passed."""
        failed = next((step for step in self.steps if not step.ok), None)
        if failed is None:
            return None
        how = (
            f"timed out after {failed.seconds:.0f} s"
            if failed.timed_out
            else f"exited {failed.exit_code} after {failed.seconds:.1f} s"
        )
        return f"the setup command `{failed.command}` {how}"


class TestResult(BaseModel):
    """The measured test run: status, the ``TestReport`` for the PR body, output and notes."""

    __test__ = False
    model_config = ConfigDict(frozen=True)

    status: TestStatus
    report: TestReport | None
    output: str
    notes: tuple[str, ...]


@functools.cache
def setup_prefix() -> tuple[str, ...]:
    """Test isolation without ``--net``: a private process table, so no daemon outlives setup."""
    prefix = tuple(flag for flag in detect_isolation().prefix if flag != "--net")
    if "--pid" not in prefix:
        return ()
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return prefix if probe.returncode == 0 else ()


def run_setup(checkout: Path, plan: CommandPlan, environment: RunEnvironment) -> SetupResult:
    """Run the plan's setup commands in ``checkout`` (with network), stopping at a failure."""
    scrub_git_remotes(checkout)
    steps: list[StepResult] = []
    with _home(environment) as home:
        env = _environment(environment, home, plan)
        prefix = _setup_prefix(checkout, plan, environment, home)
        for command in plan.setup:
            step = run_step(
                command,
                cwd=checkout,
                env=env,
                timeout=plan.setup_timeout_seconds,
                output_limit=environment.output_limit,
                prefix=prefix,
            )
            steps.append(step)
            if not step.ok:
                break
    return SetupResult(steps=tuple(steps))


def run_tests(checkout: Path, plan: CommandPlan, environment: RunEnvironment) -> TestResult:
    """Run the plan's test command in ``checkout`` and read the JUnit report it wrote."""
    if plan.test is None:
        return TestResult(status="no_test_command", report=None, output="", notes=(plan.reason,))
    scrub_git_remotes(checkout)
    notes: list[str] = []
    plan.report_path.parent.mkdir(parents=True, exist_ok=True)
    # A stale report must not pass for this run's.
    plan.report_path.unlink(missing_ok=True)
    stale = _report_in_checkout(checkout, plan, [])
    if stale is not None and not _tracked(checkout, stale):
        stale.unlink(missing_ok=True)
    with _home(environment) as home:
        env = _environment(environment, home, plan)
        prefix = _test_prefix(checkout, plan, environment, home, notes)
        step = run_step(
            plan.test,
            cwd=checkout,
            env=env,
            timeout=plan.test_timeout_seconds,
            output_limit=environment.output_limit,
            prefix=prefix,
        )
    if plan.report_path.is_file() and plan.report_path.stat().st_size == 0:
        plan.report_path.unlink()  # the sandbox's mount point, never written
    # Resolved again now: the test command may have replaced the file with a symlink.
    inside = _report_in_checkout(checkout, plan, notes)
    run = _read_report(plan.report_path, inside, notes)
    if inside is not None and not _tracked(checkout, inside):
        inside.unlink(missing_ok=True)  # read; it must not end up in the commit
    if run is not None and not run.cases:
        notes.append("the test report lists no test cases: no test ran")
    if step.timed_out:
        status: TestStatus = "timed_out"
        notes.append(f"the test command timed out after {plan.test_timeout_seconds:g} s")
    else:
        status = "passed" if step.ok and (run is None or run.ok) else "failed"
    report = TestReport(command=plan.test, exit_code=step.exit_code, seconds=step.seconds, run=run)
    return TestResult(status=status, report=report, output=step.output, notes=tuple(notes))


def _setup_prefix(
    checkout: Path, plan: CommandPlan, environment: RunEnvironment, home: Path
) -> Sequence[str]:
    """The confinement of setup: the agents' sandbox with network, where it can be built.

    Setup runs the checkout's own build code (``setup.py``, a build backend, npm scripts),
    which in a follow-up round an agent wrote: it sees the checkout, the run's virtual
    environment (writable: setup installs into it) and the interpreter that creates it, never
    the service's files.
    """
    if not environment.isolate_tests:
        return ()
    sandbox = environment.sandbox
    if sandbox is None or shell_mode(sandbox).kind != "sandbox":
        return setup_prefix()
    writable = [home]
    if plan.venv_dir is not None:
        plan.venv_dir.mkdir(parents=True, exist_ok=True)  # a mount point before it is made
        writable.append(plan.venv_dir)
    creator = Path(sys.executable).resolve().parent.parent  # what detected setup runs
    given = {**environment.base_env, "VIRTUAL_ENV": str(Path(sys.prefix))}
    readonly = [*readonly_paths(checkout, given), creator, Path(sys.base_prefix)]
    return sandbox_argv(sandbox, root=checkout, readonly=readonly, writable=writable, network=True)


def _test_prefix(
    checkout: Path, plan: CommandPlan, environment: RunEnvironment, home: Path, notes: list[str]
) -> list[str]:
    """The confinement of the test command, noted for the run log and the PR body."""
    if not environment.isolate_tests:
        notes.append("tests ran with network NOT isolated: isolation turned off")
        return []
    sandbox = environment.sandbox
    if sandbox is not None and shell_mode(sandbox).kind == "sandbox":
        notes.append("tests ran in the bubblewrap sandbox (network isolated)")
        given = dict(environment.base_env)
        if plan.venv_dir is not None:
            given["VIRTUAL_ENV"] = str(plan.venv_dir)
        # The report file alone is mounted writable, not the directory of every run's reports.
        plan.report_path.touch()
        writable = [plan.report_path, home]
        readonly = readonly_paths(checkout, given)
        return sandbox_argv(sandbox, root=checkout, readonly=readonly, writable=writable)
    isolation = detect_isolation()
    notes.append(f"tests ran with {isolation.description}")
    return list(isolation.prefix)


def _environment(environment: RunEnvironment, home: Path, plan: CommandPlan) -> dict[str, str]:
    extra = {
        "CI": "true",
        REPORT_ENV: str(plan.report_path),
        # Bytecode goes to HOME, not into the checkout where a commit would pick it up.
        "PYTHONPYCACHEPREFIX": str(home / ".pycache"),
        **environment.extra_env,
    }
    venv = plan.venv_dir
    if venv is not None:
        path = environment.base_env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        extra.update({"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{path}"})
    return scrubbed_environment(environment.base_env, home=home, extra=extra)


@contextlib.contextmanager
def _home(environment: RunEnvironment) -> Iterator[Path]:
    """The configured HOME, or a temporary one removed afterwards."""
    if environment.home is not None:
        environment.home.mkdir(parents=True, exist_ok=True)
        yield environment.home
        return
    with tempfile.TemporaryDirectory(prefix="specbot-home-") as temporary:
        yield Path(temporary)


def _report_in_checkout(checkout: Path, plan: CommandPlan, notes: list[str]) -> Path | None:
    """The configured report path inside the checkout, None if unset or escaping it."""
    if plan.report_in_checkout is None:
        return None
    inside = (checkout / plan.report_in_checkout).resolve()
    if inside.is_relative_to(checkout.resolve()):
        return inside
    shown = plan.report_in_checkout
    notes.append(f"ignored the test report {shown}: it resolves outside the checkout")
    return None


def _tracked(checkout: Path, path: Path) -> bool:
    """Whether git tracks ``path`` in ``checkout`` (such a report is the repository's own)."""
    result = subprocess.run(
        # Runs after agent code did: nothing configured in .git may execute here.
        ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]
        + ["ls-files", "--error-unmatch", "--", str(path)],
        cwd=checkout,
        capture_output=True,
        check=False,
        timeout=60,
    )
    return result.returncode == 0


def _read_report(outside: Path, inside: Path | None, notes: list[str]) -> TestRun | None:
    """The JUnit report the command wrote, outside the checkout or at the configured path."""
    for path in (outside, inside):
        if path is None or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_REPORT_BYTES + 1)
            return parse_junit(data)
        except (OSError, EvidenceError) as exc:
            notes.append(f"the test report could not be read: {exc}")
            return None
    notes.append("the test command wrote no JUnit report")
    return None
