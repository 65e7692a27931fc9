"""The GitHub Action: the App's flows inside a workflow step, with no server to run.

``specbot action`` (``action.yml`` runs it) reads what the runner provides, takes or declines
the event, runs the same router and flows as the App to their end in the step's process, and
tells the workflow what happened: a job summary, outputs, annotations and an exit code.
"""

from bot.action._entry import StepIO, run_action
from bot.action._runner import ActionConfigError, ActionInputs, RunnerContext, read_runner

__all__ = [
    "ActionConfigError",
    "ActionInputs",
    "RunnerContext",
    "StepIO",
    "read_runner",
    "run_action",
]
