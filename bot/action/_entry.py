"""``specbot action`` from start to exit code: read, mask, admit, run, report.

Exit codes: 0 for a finished run (or an event the step does not take), 1 for a failed or
interrupted run, 2 for configuration the step cannot run with; each ends with one line on
standard error that says why. While the flows run, the runner's reading of workflow commands
is switched off, so no text a model or a commenter wrote can reach the log as a command.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from bot.action import _workflow_commands as commands
from bot.action._admission import admit
from bot.action._report import (
    StepReport,
    annotation_text,
    not_admitted,
    one_line,
    report_of,
    summary_markdown,
)
from bot.action._runner import ActionConfigError, RunnerContext, read_runner
from bot.settings import Settings

EXIT_CONFIG = 2
# GitHub sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that.
DEFAULT_GRACE_SECONDS = 8.0


@dataclass
class StepIO:
    """Where the step writes: standard output (commands, progress) and standard error."""

    out: TextIO
    err: TextIO

    def say(self, line: str) -> None:
        """One progress line."""
        self.out.write(f"specbot: {line}\n")
        self.out.flush()


def run_action(
    stop: threading.Event,
    io: StepIO,
    *,
    on_stop: Callable[[], None] = lambda: None,
) -> int:
    """Run the step in this process's environment; its exit code."""
    env = os.environ
    for secret in (env.get("GITHUB_TOKEN", ""), env.get("ANTHROPIC_API_KEY", "")):
        if secret.strip():
            commands.add_mask(secret.strip(), io.out)
    try:
        context = read_runner(env)
    except ActionConfigError as exc:
        return _config_failure(io, str(exc))
    admission = admit(context.event, context.repository, context.inputs)
    if admission is not None:
        io.say(f"{admission.verdict}: {admission.reason}")
        return _finish(io, context, not_admitted(admission))
    try:
        settings = _settings(context)
    except ActionConfigError as exc:
        return _config_failure(io, str(exc))
    for secret in settings.secret_values():  # the derived marker key too
        if secret not in (context.token, settings_key(settings)):
            commands.add_mask(secret, io.out)
    io.say(f"{context.event.name} in {context.repository}: running the flows")
    token = commands.stop_commands(io.out)
    try:
        from bot.action._session import run_step

        grace = float(env.get("SPECBOT_ACTION_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
        result = run_step(
            context, settings, stop, grace_seconds=grace, on_progress=io.say, on_stop=on_stop
        )
        report = report_of(result)
    except Exception as exc:  # said as the step's one line; the runs keep their records
        reason = one_line(f"{type(exc).__name__}: {exc}", 500)
        report = StepReport(verdict="failed", reason=reason)
    finally:
        commands.resume_commands(token, io.out)
    return _finish(io, context, report)


def _settings(context: RunnerContext) -> Settings:
    """The settings the flows run with, checked; ``ActionConfigError`` naming what is wrong."""
    from pydantic import ValidationError

    from bot.action._session import action_settings
    from bot.config import ConfigError, load_repo_config
    from bot.wording import plain_error

    try:
        base = Settings(_env_file=None)  # the environment's; empty variables mean the default
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ActionConfigError(f"{first['loc'][0]}: {plain_error(first)}") from None
    if context.inputs.mode != "gate" and base.anthropic_api_key is None:
        raise ActionConfigError(
            "input anthropic_api_key is empty: the agents need it (mode 'gate' runs without)"
        )
    try:
        load_repo_config("", "the action's inputs", context.inputs.config_overrides())
    except ConfigError as exc:
        raise ActionConfigError(str(exc)) from None
    try:
        context.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = f"RUNNER_TEMP: cannot create {context.data_dir}: {exc.strerror}"
        raise ActionConfigError(reason) from None
    return action_settings(context, base)


def settings_key(settings: Settings) -> str:
    """The model's key, or "" (masked already, first thing)."""
    key = settings.anthropic_api_key
    return key.get_secret_value().strip() if key is not None else ""


def _config_failure(io: StepIO, reason: str) -> int:
    commands.annotate("error", reason, title="specbot configuration", out=io.out)
    io.err.write(f"specbot action: {reason}\n")
    return EXIT_CONFIG


def _finish(io: StepIO, context: RunnerContext, report: StepReport) -> int:
    """Write the summary, outputs and annotations; say the verdict; the exit code."""
    if context.summary_path is not None:
        commands.append_summary(context.summary_path, summary_markdown(report, context.repository))
    if context.output_path is not None:
        commands.write_outputs(context.output_path, report.outputs())
    for item in report.findings:
        level: commands.Level = "warning" if item.severity in ("critical", "major") else "notice"
        commands.annotate(
            level,
            annotation_text(item),
            file=item.path,
            line=item.line,
            title=f"specbot {item.severity}",
            out=io.out,
        )
    code = report.exit_code(context.inputs.fail_on_not_ready)
    # the reason can quote a run's outcome (a model's words): one line, never a command
    said = f": {one_line(report.reason)}" if report.reason else ""
    line = f"specbot action: {report.verdict}{said}"
    if code:
        commands.annotate("error", line, title="specbot", out=io.out)
    (io.err if code else io.out).write(line[:1000] + "\n")
    return code
