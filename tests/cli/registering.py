"""``specbot app register`` as a subprocess, and the browser's part of the flow over HTTP."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ROOT

APP_YML = ROOT / "app.yml"


@dataclass
class Registering:
    """A running ``specbot app register`` and the local page it serves."""

    process: subprocess.Popen[str]
    page: str

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Wait for the command to end: exit code, stdout, stderr."""
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err


def start_register(data_dir: Path, *args: str) -> Registering:
    """Start the command with ``SPECBOT_DATA_DIR=data_dir`` and wait for its page's address."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SPECBOT_DATA_DIR": str(data_dir)}
    env.pop("SPECBOT_PUBLIC_URL", None)
    command = [sys.executable, "-m", "bot", "app", "register", "--no-open", *args]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(r"Open (http://127\.0\.0\.1:\d+/) in a browser", first)
    if found is None:
        out, err = process.communicate(timeout=30)
        raise AssertionError(first + out + err)
    return Registering(process, found.group(1))


def submit_form(page_url: str) -> httpx.Response:
    """Do what the page's script does: post its form (the manifest) to where it says."""
    page = httpx.get(page_url).text
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    value = re.search(r'name="manifest" value="([^"]*)"', page)
    assert action is not None and value is not None, page
    return httpx.post(
        html.unescape(action.group(1)), data={"manifest": html.unescape(value.group(1))}
    )
