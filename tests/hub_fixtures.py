"""Fixtures for tests that need a running localhub: a seeded hub, an App key, a receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.localhub import LocalHub, RunningHub, start_localhub

WEBHOOK_SECRET = "s3cret"
APP_ID = 1
INSTALLATION_ID = 100


@dataclass
class Received:
    """One HTTP request a receiver got."""

    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """A small webhook receiver on a free port that records what it gets."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    gate: threading.Event | None = None  # when set, each delivery waits for it
    secret: str | None = None
    rejected: int = 0

    def verifies(self, headers: dict[str, str], body: bytes) -> bool:
        """Whether the body carries a valid X-Hub-Signature-256 (always, without a secret)."""
        if self.secret is None:
            return True
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(headers.get("x-hub-signature-256", ""), f"sha256={digest}")


def _start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if receiver.gate is not None:
                receiver.gate.wait(timeout=10)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not receiver.verifies(headers, body):
                receiver.rejected += 1
                self.send_response(401)
                self.end_headers()
                return
            receiver.requests.append(Received(headers, body))
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[Receiver]:
    found, server = _start_receiver()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(_receiver_server: Receiver) -> Receiver:
    """A webhook receiver that answers 200 and records every delivery (reset for each test)."""
    found = _receiver_server
    found.requests.clear()
    found.status, found.gate, found.secret, found.rejected = 200, None, None, 0
    return found


@pytest.fixture(scope="session")
def app_key_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An RSA private key for the test App, generated at test time."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "app.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return path


def write_seed(directory: Path, key: Path, webhook_url: str, hook_url: str | None = None) -> Path:
    """A seed file in ``directory`` with users, one public and one private repository, an App."""
    widgets = directory / "widgets"
    (widgets / "src").mkdir(parents=True)
    (widgets / "README.md").write_text("# widgets\n")
    (widgets / "src" / "app.py").write_text(
        "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(10))
    )
    hooks = (
        "hooks:\n"
        f'  - {{repo: acme/widgets, url: "{hook_url}", secret: hooksecret, events: ["*"]}}\n'
        if hook_url
        else ""
    )
    seed = directory / "seed.yml"
    seed.write_text(
        textwrap.dedent(
            f"""\
            users:
              - {{login: alice, token: ghp_alice}}
              - {{login: mallory, token: ghp_mallory}}
              - {{login: trent, token: ghp_trent}}
              - {{login: owen, token: ghp_owen}}
            orgs: [acme]
            repos:
              - full_name: acme/widgets
                source: ./widgets
                default_branch: main
                private: false
                collaborators: {{alice: write, mallory: read, trent: triage, owen: admin}}
              - full_name: acme/secret
                source: ./widgets
                private: true
                collaborators: {{alice: admin}}
            apps:
              - id: {APP_ID}
                slug: specbot
                private_key_path: {key}
                webhook_url: {webhook_url}
                webhook_secret: {WEBHOOK_SECRET}
                installations:
                  - id: {INSTALLATION_ID}
                    account: acme
                    repositories: [acme/widgets]
                    permissions:
                      {{contents: write, issues: write, pull_requests: write, checks: write,
                        statuses: write, metadata: read}}
            """
        )
        + hooks
    )
    return seed


@pytest.fixture
def seed_file(tmp_path: Path, app_key_pem: Path, receiver: Receiver) -> Path:
    """A seed whose App delivers to ``receiver``."""
    return write_seed(tmp_path, app_key_pem, receiver.url)


@pytest.fixture(scope="session")
def _seeded_template(
    tmp_path_factory: pytest.TempPathFactory, app_key_pem: Path, _receiver_server: Receiver
) -> Path:
    """A data directory seeded once per session; each test gets a copy (seeding runs git)."""
    root = tmp_path_factory.mktemp("template")
    seed = write_seed(root, app_key_pem, _receiver_server.url)
    LocalHub(seed, data_dir=root / "data").close()
    return root / "data"


@pytest.fixture
def hub(_seeded_template: Path, tmp_path: Path, receiver: Receiver) -> Iterator[RunningHub]:
    """A running localhub with the test seed, on a private copy of the seeded state."""
    data = tmp_path / "hub-data"
    shutil.copytree(_seeded_template, data)
    running = start_localhub(data_dir=data)
    yield running
    running.stop()


def git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real git CLI without any user configuration or credential prompts."""
    env = {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd or Path.cwd()),
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check
    )
