"""Redaction, the second line: each secret is replaced verbatim and in the encodings a shell
produces without effort, in tool output before it reaches the model."""

from __future__ import annotations

import base64
import os
from urllib.parse import quote, quote_plus

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.agents import build_toolbox, load_role
from bot.agents.tools import REDACTED, Redactor, SandboxPolicy, Workspace

TOKEN = "sk-ant-api03-canary/Q+w=e?r&t 9"
NOISE = os.urandom(40)


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def encodings(secret: str) -> dict[str, str]:
    """How a command can print ``secret`` without printing it verbatim."""
    data = secret.encode()
    wrapped = base64.encodebytes(data).decode()  # 76 columns, as `base64` prints by default
    return {
        "verbatim": secret,
        "base64": base64.b64encode(data).decode(),
        "base64, wrapped": wrapped,
        "urlsafe base64": base64.urlsafe_b64encode(data).decode(),
        "base64 inside a stream, offset 1": base64.b64encode(NOISE[:1] + data + NOISE).decode(),
        "base64 inside a stream, offset 2": base64.b64encode(NOISE[:2] + data + NOISE).decode(),
        "base64 inside a stream, offset 3": base64.b64encode(NOISE[:3] + data + NOISE).decode(),
        "hex": data.hex(),
        "HEX": data.hex().upper(),
        "hex, wrapped": "\n".join(data.hex()[i : i + 60] for i in range(0, 2 * len(data), 60)),
        "url-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
    }


@pytest.mark.parametrize("form", list(encodings(TOKEN)))
def test_every_form_of_a_secret_is_redacted(pem: str, form: str):
    """A token and a PEM key, each in each form, inside other output: no trace survives."""
    redactor = Redactor([TOKEN, pem.strip()])
    for secret in (TOKEN, pem.strip()):
        shown = encodings(secret)[form]
        out = redactor.redact(f"before\n{shown}\nafter")
        assert REDACTED in out
        assert out.startswith("before\n") and out.endswith("\nafter")
        for trace in traces(secret):
            assert trace not in out.replace("\n", ""), form


def traces(secret: str) -> list[str]:
    """Fragments that give the secret away: its middle, verbatim and encoded."""
    data = secret.encode()
    middle = data[len(data) // 3 : len(data) // 3 + 12]
    return [middle.decode(), middle.hex(), base64.b64encode(middle).decode()[4:12]]


def test_a_part_of_a_pem_key_is_redacted_line_by_line(pem: str):
    """`head -3 key.pem` shows the header and two lines of the key's body: each is redacted."""
    head = "\n".join(pem.splitlines()[:3])
    assert Redactor([pem.strip()]).redact(head) == "\n".join([REDACTED] * 3)


def test_ordinary_output_is_left_alone():
    """Short values are ignored, and text that merely shares characters is unchanged."""
    redactor = Redactor([TOKEN, "ab"])
    text = "ab abc sk-ant-api03 canary 736b2d616e74 c2stYW50\n" + os.urandom(2000).hex()
    assert redactor.redact(text) == text


def test_the_toolbox_redacts_encoded_secrets_from_the_shell(workspace: Workspace):
    """A command printing a secret in base64 or hex gets redacted output (the value came from
    a file in the checkout: the sandbox keeps the real ones out of reach)."""
    (workspace.root / "leak.txt").write_text(TOKEN)
    role = load_role("implementer")
    policy = SandboxPolicy(bwrap="/nonexistent", unsafe_without_sandbox=True)
    with build_toolbox(role, workspace, redact=[TOKEN], sandbox=policy) as tools:
        shown = tools.execute(
            "bash", {"command": "base64 -w0 leak.txt; echo; xxd -p leak.txt; base64 leak.txt"}
        ).content
    assert shown.count(REDACTED) == 3
    for trace in traces(TOKEN):
        assert trace not in shown.replace("\n", "")
