"""``specbot app register``: GitHub's manifest flow end to end against localhub, then serve."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dotenv import dotenv_values

from bot.localhub import RunningHub
from bot.registration import RegistrationError, build_manifest, env_text, registered_app
from tests.cli.registering import APP_YML, start_register, submit_form
from tests.conftest import ROOT, RunSpecbot
from tests.web.test_serve import Server, free_port, wait_until_ready

pytestmark = pytest.mark.slow


def _register(hub: RunningHub, data: Path, public_url: str) -> tuple[int, str, str]:
    running = start_register(
        data, "--github-url", hub.url, "--org", "acme", "--public-url", public_url,
        "--manifest", str(APP_YML), "--name", "specbot-test", "--timeout", "120",
    )  # fmt: skip
    posted = submit_form(running.page)
    assert posted.status_code == 302, posted.text
    # a forged callback (another state) is refused and the command keeps waiting
    forged = httpx.get(running.page + "callback?code=abc&state=forged")
    assert forged.status_code == 400
    callback = httpx.get(posted.headers["location"])
    assert callback.status_code == 200 and "specbot-test" in callback.text
    return running.finish()


def test_register_writes_what_serve_needs_and_serve_verifies_localhubs_webhooks(
    hub: RunningHub, tmp_path: Path
) -> None:
    """The App localhub created delivers ``installation`` to a serve that has only the files."""
    data, port = tmp_path / "data", free_port()
    code, out, err = _register(hub, data, f"http://127.0.0.1:{port}")
    assert code == 0, out + err
    assert "Registered the App specbot-test" in out
    for name in ("app.env", "app.pem"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    values = dotenv_values(data / "app.env")
    app_id = int(values["GITHUB_APP_ID"] or 0)
    assert values["GITHUB_API_URL"] == hub.api_url
    assert values["SPECBOT_PUBLIC_URL"] == f"http://127.0.0.1:{port}"
    # The App's OAuth client, for GitHub sign-in to the run dashboard, is kept too.
    assert (values["GITHUB_CLIENT_ID"] or "").startswith("Iv1.")
    assert len(values["GITHUB_CLIENT_SECRET"] or "") >= 20
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SPECBOT_"))}
    env.update({"PYTHONPATH": str(ROOT), "SPECBOT_DATA_DIR": str(data)})
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-worker"]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server(process, f"http://127.0.0.1:{port}", tmp_path / "unused")
    try:
        wait_until_ready(server)
        installed = httpx.post(
            f"{hub.admin_url}/apps/{app_id}/installations",
            json={"id": 4242, "account": "acme", "repositories": ["acme/widgets"]},
        )
        assert installed.status_code in (200, 201), installed.text
        hub.wait_for_deliveries()
        sent = [d for d in hub.deliveries("installation") if d["installation_id"] == 4242]
        assert [d["status_code"] for d in sent] == [202]  # signed with the secret written
    finally:
        code, logged = server.stop()
    assert code == 0, logged


def test_an_existing_registration_is_kept_unless_forced(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    """A second run refuses in one line before anything happens, and changes nothing."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "app.env").write_text("GITHUB_APP_ID=7\n")
    result = run_specbot(
        "app", "register", "--no-open", "--public-url", "https://bot.example.org",
        "--manifest", str(APP_YML), env={"SPECBOT_DATA_DIR": str(data)},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"specbot app register: {data / 'app.env'} exists: an App is registered already "
        "(--force replaces it)"
    ]
    assert (data / "app.env").read_text() == "GITHUB_APP_ID=7\n"


def test_the_example_webhook_address_is_refused(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """Without --public-url the manifest's example host would receive the webhooks: refused."""
    result = run_specbot(
        "app", "register", "--no-open", "--manifest", str(APP_YML),
        env={"SPECBOT_DATA_DIR": str(tmp_path / "data"), "SPECBOT_PUBLIC_URL": ""},
    )  # fmt: skip
    assert result.returncode == 2
    assert "--public-url is needed" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_busy_port_is_one_line(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """The callback's port is taken: a one-line error naming it, not a traceback."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_specbot(
            "app", "register", "--no-open", "--port", str(port), "--manifest", str(APP_YML),
            "--public-url", "https://bot.example.org", env={"SPECBOT_DATA_DIR": str(tmp_path)},
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"specbot app register: --port {port}: cannot listen")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("webhook_secret", "abc\nGITHUB_API_URL=https://evil.example", "no usable webhook secret"),
        ("id", "7", "no App id"),
        ("slug", "../../etc", "no usable App slug"),
        ("pem", "-----BEGIN NOTHING-----", "no usable private key"),
    ],
)
def test_a_hostile_conversion_answer_writes_nothing(field: str, value: str, message: str) -> None:
    """Every field goes into a file serve trusts: each is checked, and a newline is refused."""
    answer = {"id": 7, "slug": "specbot", "webhook_secret": "a" * 40, "pem": "", field: value}
    with pytest.raises(RegistrationError, match=message):
        registered_app(answer)


def _new_pem() -> str:
    """A new RSA private key in PEM, as GitHub's conversion answer holds one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_a_hostile_app_url_stays_out_of_app_env(tmp_path: Path) -> None:
    """The App's address goes into a comment line: one with a line break is dropped."""
    pem = _new_pem()
    answer = {
        "id": 7,
        "slug": "specbot",
        "webhook_secret": "a" * 40,
        "pem": pem,
        "html_url": "https://x.example/apps/s\nGITHUB_API_URL=https://evil.example",
    }
    text = env_text(registered_app(answer), "/k.pem", "https://api.github.com", None)
    (tmp_path / "app.env").write_text(text)
    assert dotenv_values(tmp_path / "app.env")["GITHUB_API_URL"] == "https://api.github.com"
    assert "evil" not in text


def test_a_hostile_oauth_client_stays_out_of_app_env(tmp_path: Path) -> None:
    """A client id or secret carrying a line break is dropped, not written as a new setting."""
    pem = _new_pem()
    answer = {
        "id": 7,
        "slug": "specbot",
        "webhook_secret": "a" * 40,
        "pem": pem,
        "client_id": "Iv1.abc\nGITHUB_API_URL=https://evil.example",
        "client_secret": "s" * 40,
    }
    text = env_text(registered_app(answer), "/k.pem", "https://api.github.com", None)
    (tmp_path / "app.env").write_text(text)
    values = dotenv_values(tmp_path / "app.env")
    assert values["GITHUB_API_URL"] == "https://api.github.com"
    assert "GITHUB_CLIENT_ID" not in values and "GITHUB_CLIENT_SECRET" not in values
    assert "evil" not in text


def test_the_manifest_sends_people_who_sign_in_back_to_the_dashboard() -> None:
    """With a public address, the App's callback URL is the dashboard's sign-in callback."""
    manifest = build_manifest(
        APP_YML.read_text(), "http://127.0.0.1:1/cb", "https://bot.example.org/", None
    )
    assert manifest["callback_urls"] == ["https://bot.example.org/auth/callback"]
    assert manifest["hook_attributes"]["url"] == "https://bot.example.org/webhook"
