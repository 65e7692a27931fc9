"""How long action.yml's install takes: cold, with a warm pip cache, and with the venv cached.

    python bench/action_install.py

Each case makes a fresh virtual environment in a temporary folder and installs
``action/requirements.txt`` the way action.yml does (``--no-deps -r``). "cold" uses an empty pip
cache; "warm pip cache" the cache the cold install filled; "venv cached" is what action.yml's
``actions/cache`` step gives a warm job: the environment exists, nothing is installed, and the
time is that of the step's first command, ``python -m bot action`` declining an event it does not
take (start-up to exit). The package index is whatever pip is configured with here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "action" / "requirements.txt"


def _install(folder: Path, cache: Path) -> tuple[float, Path]:
    venv = folder / "venv"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + ["--no-deps", "--cache-dir", str(cache), "-r", str(REQUIREMENTS)],
        check=True,
    )
    return time.perf_counter() - started, python


def _declined_event(python: Path, folder: Path) -> float:
    event = folder / "event.json"
    event.write_text(json.dumps({"repository": {"full_name": "acme/widgets"}}))
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/widgets",
        "GITHUB_TOKEN": "ghs_bench",
        "RUNNER_TEMP": str(folder),
    }
    started = time.perf_counter()
    subprocess.run([str(python), "-m", "bot", "action"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Print the three figures."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cache = base / "pip-cache"
        cold, _ = _install(base / "cold", cache)
        warm, python = _install(base / "warm", cache)
        cached = _declined_event(python, base)
    print(f"cold install:          {cold:6.1f} s")
    print(f"warm pip cache:        {warm:6.1f} s")
    print(f"venv cached (step):    {cached:6.1f} s  (python -m bot action, an event it declines)")


if __name__ == "__main__":
    main()
