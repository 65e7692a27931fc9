"""Real git repositories and environments for the tests of ``specbot run`` and ``review``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.scripted import ScriptedModelServer

DATA = Path(__file__).parent / "data"
SPEC = DATA / "subtract-spec.md"
API_KEY = "test-key-for-local-runs"
# Ten lines of header, so that a finding on line 1 lies outside the hunk that adds subtract.
OPS = (
    "".join(f"# calc.ops, line {n}\n" for n in range(1, 11)) + "def add(a, b):\n    return a + b\n"
)
SUBTRACT = (
    "\n\ndef subtract(a, b):\n"
    "    if not isinstance(a, int) or not isinstance(b, int):\n"
    '        raise TypeError("integers only")\n'
    "    return a - b\n"
)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a user would (with a fixed identity); its output."""
    done = subprocess.run(
        ["git", "-c", "user.name=Test User", "-c", "user.email=user@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def make_calc_repo(root: Path) -> Path:
    """A small Python project on branch ``main``: ``calc.ops.add`` and its test, committed."""
    repo = root / "calc-repo"
    (repo / "calc").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "calc" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "calc" / "ops.py").write_text(OPS, encoding="utf-8")
    (repo / "tests" / "test_ops.py").write_text(
        "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        encoding="utf-8",
    )
    (repo / "README.md").write_text("# calc\n\nInteger operations.\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "calc"\nversion = "0.1.0"\n', encoding="utf-8"
    )
    git(repo.parent, "init", "--quiet", "--initial-branch=main", str(repo))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "calc: add")
    return repo


def model_env(data_dir: Path, server: ScriptedModelServer | None) -> dict[str, str]:
    """The environment of a CLI run: the scripted model (or none), a private data folder,
    and the test interpreter's environment as the project's (nothing installed from the
    network)."""
    return {
        "ANTHROPIC_BASE_URL": server.base_url if server is not None else "",
        "ANTHROPIC_API_KEY": API_KEY if server is not None else "",
        "SPECBOT_DATA_DIR": str(data_dir),
        "SPECBOT_WORKSPACE_VENV": sys.prefix,
    }


def model_requests(server: ScriptedModelServer) -> int:
    """How many Messages API requests the scripted model received."""
    return len(server.log.entries(path="/v1/messages"))
