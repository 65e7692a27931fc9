"""An offline App (localhub, scripted model, engine, webhook server) seeded with a Python repo."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.offline import APP_ID, OfflineStack, start_stack
from bot.scripted import LoggedRequest

REPO = "acme/widgets"
INSTALLATION_ID = 100

READY_SPEC = textwrap.dedent(
    """\
    ## Context
    The `widgets/sizes.py` module of the `widgets` package converts sizes. Today it only has
    `to_mm(value)`, which turns centimetres into millimetres; nothing converts inches.

    ## Scope
    Add `inches_to_mm(value)` to `widgets/sizes.py`. Out of scope: other units, the CLI.

    ## Behaviour
    `inches_to_mm(value)` takes a number of inches (int or float, 0 to 10,000) and returns
    millimetres as a float rounded to 2 decimals (1 inch = 25.4 mm).

    ## Acceptance criteria
    - [ ] `inches_to_mm(1)` returns `25.4`
    - [ ] `inches_to_mm(0)` returns `0.0`
    - [ ] a negative value raises `ValueError` with the message `size must be >= 0`

    ## Performance
    One call takes under 1 ms.

    ## Error handling
    - An invalid negative value returns an error to the caller: `ValueError` with the
      message "size must be >= 0"; nothing is kept or logged.
    - An invalid value that is not a number returns an error to the caller: `TypeError`.
    """
)

NOT_READY_SPEC = "Make the sizes better and faster.\n"

SIZES = '''"""Size conversions."""


def to_mm(value: float) -> float:
    """Centimetres to millimetres."""
    return value * 10
'''

NEW_SIZES = (
    SIZES
    + '''

def inches_to_mm(value: float) -> float:
    """Inches to millimetres, rounded to 2 decimals."""
    if not isinstance(value, (int, float)):
        raise TypeError("size must be a number")
    if value < 0:
        raise ValueError("size must be >= 0")
    return round(value * 25.4, 2)
'''
)

NEW_TESTS = """from widgets.sizes import inches_to_mm
import pytest


def test_c1_one_inch():
    assert inches_to_mm(1) == 25.4


def test_c2_zero():
    assert inches_to_mm(0) == 0.0


def test_c3_negative():
    with pytest.raises(ValueError, match="size must be >= 0"):
        inches_to_mm(-1)
"""


# What the seeded App's installation may do (a workflow token with the same is the tests' default)
APP_PERMISSIONS = {
    "contents": "write",
    "issues": "write",
    "pull_requests": "write",
    "checks": "write",
    "statuses": "write",
    "metadata": "read",
}


def seed(
    tmp_path: Path, key: Path, config: str | None = None, files: dict[str, str] | None = None
) -> dict[str, Any]:
    """A seed with alice (write), mallory (read) and a small Python project.

    ``config`` becomes the project's ``.github/specbot.yml``; ``files`` are added by path.
    """
    repo = tmp_path / "widgets-src"
    (repo / "widgets").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "README.md").write_text("# widgets\n\nSize helpers.\n")
    (repo / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (repo / "widgets" / "__init__.py").write_text('"""Widgets."""\n')
    (repo / "widgets" / "sizes.py").write_text(SIZES)
    if config is not None:
        (repo / ".github").mkdir()
        (repo / ".github" / "specbot.yml").write_text(config)
    (repo / "tests" / "test_sizes.py").write_text(
        "from widgets.sizes import to_mm\n\n\ndef test_to_mm():\n    assert to_mm(2) == 20\n"
    )
    for path, text in (files or {}).items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return {
        "users": [
            {"login": "alice", "token": "ghp_alice"},
            {"login": "mallory", "token": "ghp_mallory"},
        ],
        "orgs": ["acme"],
        "repos": [
            {
                "full_name": REPO,
                "source": str(repo),
                "default_branch": "main",
                "collaborators": {"alice": "write", "mallory": "read"},
            }
        ],
        "apps": [
            {
                "id": APP_ID,
                "slug": "specbot",
                "private_key_path": str(key),
                "webhook_url": "http://127.0.0.1:9/webhook",
                "webhook_secret": "unused",
                "installations": [
                    {
                        "id": INSTALLATION_ID,
                        "account": "acme",
                        "repositories": [REPO],
                        "permissions": dict(APP_PERMISSIONS),
                    }
                ],
            }
        ],
    }


def review_turn(role: str, findings: list[dict[str, Any]], **when: Any) -> dict[str, Any]:
    """A reviewer's scripted submit_review."""
    return {
        "name": f"{role}-review",
        "when": {"role": f"Role: {role}", **when},
        "reply": [
            {
                "tool_use": {
                    "name": "submit_review",
                    "input": {"summary": f"{role}: looked at it.", "findings": findings},
                }
            }
        ],
    }


REVIEWERS = ("security", "correctness", "performance", "style", "spec-conformance")


def implement_script(reviews: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Planner, implementer (one round), ``reviews`` (turns tried first), clean reviewers."""
    clean = [
        review_turn(
            role + " reviewer" if role != "spec-conformance" else "spec-conformance reviewer", []
        )
        for role in REVIEWERS
    ]
    return {
        "turns": [
            {
                "name": "plan",
                "when": {"role": "Role: planner"},
                "reply": [
                    {
                        "tool_use": {
                            "name": "submit_plan",
                            "input": {
                                "summary": "Add inches_to_mm with tests.",
                                "steps": [
                                    {
                                        "title": "Add the function and its tests",
                                        "files": ["widgets/sizes.py", "tests/test_inches.py"],
                                        "criteria": ["1", "2", "3"],
                                    }
                                ],
                            },
                        }
                    }
                ],
            },
            {
                "name": "implement-code",
                "times": 1,
                "when": {"role": "Role: implementer", "turn": 0},
                "reply": [
                    {
                        "tool_use": {
                            "name": "str_replace_based_edit_tool",
                            "input": {
                                "command": "create",
                                "path": "widgets/sizes.py",
                                "file_text": NEW_SIZES,
                            },
                        }
                    }
                ],
            },
            {
                "name": "implement-tests",
                "times": 1,
                "when": {"role": "Role: implementer", "turn": 1},
                "reply": [
                    {
                        "tool_use": {
                            "name": "str_replace_based_edit_tool",
                            "input": {
                                "command": "create",
                                "path": "tests/test_inches.py",
                                "file_text": NEW_TESTS,
                            },
                        }
                    }
                ],
            },
            {
                "name": "implement-done",
                "times": 1,
                "when": {"role": "Role: implementer", "turn": 2},
                "reply": [{"text": "Added inches_to_mm and three tests."}],
            },
            *(reviews or []),
            *clean,
        ]
    }


def start(
    tmp_path: Path,
    key: Path,
    script: dict[str, Any],
    config: str | None = None,
    files: dict[str, str] | None = None,
    **settings: Any,
) -> OfflineStack:
    """The offline App over a fresh seed; runs share this interpreter's environment."""
    return start_stack(
        seed(tmp_path, key, config, files),
        script,
        tmp_path / "data",
        key,
        SPECBOT_WORKSPACE_VENV=Path(sys.prefix),
        **settings,
    )


def wait_for(check: Callable[[], Any], timeout: float = 90.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


# -- robustness helpers ------------------------------------------------------------------

FINISHED = ("SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")


def hub_client(stack: OfflineStack, token: str = "ghp_alice") -> Any:
    """PyGithub on localhub as the owner of ``token`` (alice by default), without pacing."""
    from github import Auth, Github

    return Github(
        base_url=stack.hub.api_url,
        auth=Auth.Token(token),
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def settle(stack: OfflineStack, timeout: float = 90.0) -> None:
    """Wait until localhub sent every delivery and every run they started has finished.

    Runs make specbot comment and push, which fires more deliveries: wait until a whole pass
    finds nothing new and nothing running.
    """

    def idle() -> bool:
        runs = stack.engine.run_ids("")
        return all(stack.engine.status(run) in FINISHED for run in runs)

    def quiet() -> bool:
        if not stack.hub.wait_for_deliveries(timeout=timeout) or not idle():
            return False
        seen = len(stack.hub.deliveries())
        time.sleep(0.3)  # a run that just ended may still be firing its last webhook
        return (
            stack.hub.wait_for_deliveries(timeout=5)
            and idle()
            and (len(stack.hub.deliveries()) == seen)
        )

    wait_for(quiet, timeout=timeout, what="every delivery and run to finish")


def model_requests(stack: OfflineStack) -> list[LoggedRequest]:
    """Every ``/v1/messages`` request the scripted model received."""
    return list(stack.model.log.entries(path="/v1/messages"))


def own_comments(stack: OfflineStack, issue: int) -> list[dict[str, Any]]:
    """The comments specbot posted on ``issue`` (from localhub's state), oldest first."""
    comments = stack.hub.state()["issue_comments"].values()
    return sorted(
        (c for c in comments if c["number"] == issue and c["user"] == "specbot[bot]"),
        key=lambda c: int(c["id"]),
    )


def tracking_comments(stack: OfflineStack, issue: int) -> list[dict[str, Any]]:
    """specbot's tracking comments on ``issue``."""
    return [c for c in own_comments(stack, issue) if "specbot:tracking" in c["body"]]


def wait_for_run_end(stack: OfflineStack, run_id: str, timeout: float = 90.0) -> str:
    """Wait until the durable run ``run_id`` finished; its final status."""
    return str(
        wait_for(
            lambda: (
                stack.engine.exists(run_id)
                and stack.engine.status(run_id) in FINISHED
                and stack.engine.status(run_id)
            ),
            timeout=timeout,
            what=f"run {run_id} to finish",
        )
    )


def start_with_users(
    tmp_path: Path,
    key: Path,
    script: dict[str, Any],
    roles: dict[str, str],
    config: str | None = None,
    **settings: Any,
) -> OfflineStack:
    """``start`` over a seed with more users, each with a token ``ghp_<login>`` and a role."""
    seeded = seed(tmp_path, key, config)
    for login, role in roles.items():
        seeded["users"].append({"login": login, "token": f"ghp_{login.removesuffix('[bot]')}"})
        seeded["repos"][0]["collaborators"][login] = role
    return start_stack(
        seeded, script, tmp_path / "data", key, SPECBOT_WORKSPACE_VENV=Path(sys.prefix), **settings
    )


def alice_repo(stack: OfflineStack) -> Any:
    """The seeded repository through the REST API as alice sees it."""
    return hub_client(stack).get_repo(REPO)


def spec_to_review(stack: OfflineStack) -> Any:
    """alice labels the ready spec; specbot's pull request once its review is posted."""
    repo = alice_repo(stack)
    issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
    stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
    pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
    wait_for(lambda: list(pull.get_reviews()), timeout=120, what="the review")
    return pull
