"""A tiny Python project written into a tmp dir: an in-tree build backend, a package, tests.

The build backend needs nothing but the standard library, so ``pip install -e .`` works with
``--no-index --no-build-isolation`` and the tests never touch the network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

BACKEND = '''
"""A build backend with no dependencies: editable installs through a .pth file."""
import base64, hashlib, os, zipfile

DIST = "tinycalc-0.1.dist-info"
METADATA = (
    "Metadata-Version: 2.1\\nName: tinycalc\\nVersion: 0.1\\nProvides-Extra: test\\n"
    'Requires-Dist: pytest; extra == "test"\\n'
)
WHEEL = "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"


def _line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = {
        "tinycalc.pth": (os.path.join(root, "src") + "\\n").encode(),
        f"{DIST}/METADATA": METADATA.encode(),
        f"{DIST}/WHEEL": WHEEL.encode(),
    }
    record = [_line(name, data) for name, data in files.items()] + [f"{DIST}/RECORD,,"]
    name = "tinycalc-0.1-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        for member, data in files.items():
            wheel.writestr(member, data)
        wheel.writestr(f"{DIST}/RECORD", "\\n".join(record) + "\\n")
    return name
'''

PYPROJECT = """
[build-system]
requires = []
build-backend = "backend"
backend-path = ["_build"]

[project]
name = "tinycalc"
version = "0.1"

[project.optional-dependencies]
test = ["pytest"]
"""

PACKAGE = '''
"""Arithmetic, to be tested."""


def add(a, b):
    return a + b


def halve(a):
    return a / 2
'''

TESTS = '''
"""Criterion 1 passes, criterion 2 has a failing test; nothing names criterion 3."""
from tinycalc import add, halve


def test_c1_adds_numbers():
    assert add(2, 3) == 5


def test_c2_halves_numbers():
    assert halve(4) == 2


def test_c2_halves_odd_numbers_exactly():
    assert halve(3) == 1  # wrong on purpose: 1.5
'''

FILES = {
    "_build/backend.py": BACKEND,
    "pyproject.toml": PYPROJECT,
    "src/tinycalc/__init__.py": PACKAGE,
    "tests/test_calc.py": TESTS,
    ".gitignore": "*.log\n",  # no __pycache__ or .pytest_cache: the runner must leave none
}


def write_project(root: Path, files: dict[str, str] = FILES) -> Path:
    """Write ``files`` under ``root`` and commit them in a new git repository."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity; its stdout."""
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout
