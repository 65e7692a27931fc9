"""@octokit/rest under Node, a client that is not Python, works against localhub unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.localhub import RunningHub

OCTOKIT = "@octokit/rest@21"
SCRIPT = Path(__file__).with_name("octokit_smoke.mjs")


def _octokit_modules() -> Path:
    """@octokit/rest installed once into a cache outside the repository."""
    cache = Path(os.environ.get("SPECBOT_TEST_CACHE", Path.home() / ".cache" / "specbot-tests"))
    prefix = cache / "octokit-rest-21"
    if not (prefix / "node_modules" / "@octokit" / "rest").is_dir():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                OCTOKIT,
            ],
            check=True,
            capture_output=True,
            timeout=240,
        )
    return prefix / "node_modules"


@pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed to run @octokit/rest",
)
def test_octokit_rest_smoke(hub: RunningHub) -> None:
    """Repos, issues, labels, comments, pagination, rate limit and a 404 through octokit.js."""
    modules = _octokit_modules()
    result = subprocess.run(
        ["node", str(SCRIPT), str(modules), hub.api_url, "ghp_alice"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {
        "repo": "acme/widgets",
        "issue": 1,
        "paginated": [1, 2, 3, 4, 5],
        "labels": ["node"],
        "rate": 5000,
        "missing": 404,
    }
