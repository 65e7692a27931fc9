"""``specbot action`` as a runner starts it: a subprocess with a runner's environment.

localhub stands in for GitHub (an Actions-style token, its permissions as a workflow's
``permissions:`` would set them), the scripted model for Anthropic. Event payloads are GitHub's
own examples with the objects they describe (repository, issue, pull request, comment, sender)
replaced by localhub's renderings of them, so the shape is GitHub's and the values are real.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.localhub import RunningHub
from tests.conftest import ROOT
from tests.flows.stack_fixtures import APP_PERMISSIONS

EXAMPLES = ROOT / "tests" / "data" / "github" / "webhooks" / "examples"
WRITE_PERMISSIONS = APP_PERMISSIONS  # a workflow token that may do what the App may


@dataclass
class StepRun:
    """One finished step: its exit code, what it printed, its outputs and job summary."""

    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def rest(hub: RunningHub, path: str, token: str = "ghp_alice") -> Any:
    """GET one localhub REST resource as ``token``'s owner."""
    response = httpx.get(
        f"{hub.api_url}{path}", headers={"Authorization": f"token {token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def example_payload(
    event: str, action: str, hub: RunningHub, repo: str, **objects: Any
) -> dict[str, Any]:
    """GitHub's example ``event``.``action`` payload about localhub's ``repo``.

    ``objects`` replace the example's (``issue``, ``pull_request``, ``comment``, ``label``,
    ``sender``); ``repository`` always becomes localhub's.
    """
    path = EXAMPLES / event / f"{action}.payload.json"
    payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    payload.pop("installation", None)  # a workflow's event has none
    payload["repository"] = rest(hub, f"/repos/{repo}")
    payload.update(objects)
    return payload


def parse_outputs(text: str) -> dict[str, str]:
    """``GITHUB_OUTPUT`` in the ``name<<DELIMITER`` form, as the runner reads it."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, marker, delimiter = line.partition("<<")
        assert marker, f"an output line not in the delimited form: {line!r}"
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        else:
            raise AssertionError(f"output {name} has no closing delimiter")
        outputs[name] = "\n".join(value)
    return outputs


class ActionRunner:
    """Start ``specbot action`` for events of one localhub repository."""

    def __init__(self, hub: RunningHub, model_url: str, repo: str, temp: Path, token: str) -> None:
        self.hub, self.model_url, self.repo, self.temp, self.token = (
            hub,
            model_url,
            repo,
            temp,
            token,
        )
        self.runs = 0

    def environment(
        self,
        event: str,
        payload: dict[str, Any],
        inputs: dict[str, str],
        temp_name: str = "runner-temp",
    ) -> dict[str, str]:
        """What a runner sets for the step (plus the test-only venv and pacing settings)."""
        self.runs += 1
        job = self.temp / f"job-{self.runs}"
        job.mkdir(parents=True)
        event_path = job / "event.json"
        event_path.write_text(json.dumps(payload), encoding="utf-8")
        (job / "summary.md").write_text("")
        (job / "output").write_text("")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(job),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": self.repo,
            "GITHUB_API_URL": self.hub.api_url,
            "GITHUB_SERVER_URL": self.hub.url,
            "GITHUB_RUN_ID": str(1000 + self.runs),
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_TOKEN": self.token,
            "RUNNER_TEMP": str(self.temp / temp_name),
            "GITHUB_STEP_SUMMARY": str(job / "summary.md"),
            "GITHUB_OUTPUT": str(job / "output"),
            "ANTHROPIC_API_KEY": "sk-ant-canary-action-key",
            "ANTHROPIC_BASE_URL": self.model_url,
            # test-only: this interpreter's packages for the project's tests, no write pacing
            "SPECBOT_WORKSPACE_VENV": sys.prefix,
            "SPECBOT_GITHUB_PACE_WRITES": "false",
            "PYTHONPATH": str(ROOT),
        }
        env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
        return env

    def start(
        self,
        event: str,
        payload: dict[str, Any],
        temp_name: str = "runner-temp",
        env: dict[str, str] | None = None,
        **inputs: str,
    ) -> tuple[subprocess.Popen[str], Path]:
        """The step's process, started; and its job folder. Steps that share ``temp_name``
        share ``RUNNER_TEMP``, as jobs do whose workflow caches it."""
        environment = {**self.environment(event, payload, inputs, temp_name), **(env or {})}
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", "bot", "action"],  # as action.yml runs it
            env=environment,
            cwd=self.temp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return process, Path(environment["GITHUB_OUTPUT"]).parent

    def run(
        self,
        event: str,
        payload: dict[str, Any],
        timeout: float = 240,
        temp_name: str = "runner-temp",
        env: dict[str, str] | None = None,
        **inputs: str,
    ) -> StepRun:
        """Run one step to its end (``env`` changes the runner's environment)."""
        process, job = self.start(event, payload, temp_name, env, **inputs)
        stdout, stderr = process.communicate(timeout=timeout)
        return finished(process.returncode, stdout, stderr, job)

    def stop(self, process: subprocess.Popen[str], job: Path, timeout: float = 60) -> StepRun:
        """Stop the step as the runner stops a cancelled job: SIGINT, SIGTERM, SIGKILL."""
        process.send_signal(signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=7.5)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            try:
                stdout, stderr = process.communicate(timeout=2.5)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate(timeout=timeout)
        return finished(process.returncode, stdout, stderr, job)


def finished(code: int, stdout: str, stderr: str, job: Path) -> StepRun:
    """A ``StepRun`` from a process's end and its job folder."""
    return StepRun(
        code=code,
        stdout=stdout,
        stderr=stderr,
        outputs=parse_outputs((job / "output").read_text(encoding="utf-8")),
        summary=(job / "summary.md").read_text(encoding="utf-8"),
    )


def wait_until(check: Any, timeout: float = 60.0) -> Any:
    """Poll ``check`` until truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def app_token(hub: RunningHub, key_path: Path, app_id: int, installation: int) -> str:
    """An installation token of the App, as actions/create-github-app-token makes one."""
    import jwt

    now = int(time.time())
    signed = jwt.encode(
        {"iat": now - 30, "exp": now + 300, "iss": str(app_id)},
        key_path.read_text(encoding="utf-8"),
        algorithm="RS256",
    )
    response = httpx.post(
        f"{hub.api_url}/app/installations/{installation}/access_tokens",
        headers={"Authorization": f"Bearer {signed}", "Accept": "application/vnd.github+json"},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["token"])


def example_token(hub: RunningHub, repo: str, workflow: str) -> str:
    """A workflow token with exactly the permissions docs/workflows/``workflow`` grants."""
    import yaml

    document = yaml.safe_load((ROOT / "docs" / "workflows" / workflow).read_text("utf-8"))
    (job,) = document["jobs"].values()
    granted = job.get("permissions", document.get("permissions"))
    return hub.actions_token(repo, workflow_permissions=granted)
