"""Webhook verification and decoding, on GitHub's own vectors and example payloads."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.webhooks import (
    MAX_BODY_BYTES,
    Event,
    InvalidSignature,
    MalformedDelivery,
    PayloadTooLarge,
    event_from_action,
    event_from_http,
    sign,
    verify_signature,
)

DATA = Path(__file__).parent / "data" / "github"
EXAMPLES = sorted((DATA / "webhooks" / "examples").rglob("*.json"))
VECTORS = json.loads((DATA / "signature-vectors.json").read_text(encoding="utf-8"))["vectors"]
SECRET = "s3cret"


def _headers(body: bytes, event: str = "issues", secret: str = SECRET) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if "x_hub_signature_256" in v], ids=lambda v: v["id"]
)
def test_signature_matches_published_vectors(vector: dict[str, Any]) -> None:
    """``sign`` reproduces GitHub's and Octokit's published signatures byte for byte."""
    body = vector["payload"].encode("utf-8")
    assert sign(body, vector["secret"]) == vector["x_hub_signature_256"]
    verify_signature(body, vector["x_hub_signature_256"], vector["secret"])


def test_signature_of_another_body_is_refused() -> None:
    """A valid signature of different bytes does not verify."""
    vector = VECTORS[0]
    with pytest.raises(InvalidSignature):
        verify_signature(b"Hello, World?", vector["x_hub_signature_256"], vector["secret"])


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", "sha256=zz", "garbage"],
)
def test_missing_or_malformed_signature_is_refused(signature: str | None) -> None:
    """Missing, empty, legacy SHA-1 or malformed signatures all raise ``InvalidSignature``."""
    with pytest.raises(InvalidSignature):
        verify_signature(b"{}", signature, SECRET)


def test_verification_needs_a_secret() -> None:
    """Verifying without a secret is a programming error, never a silent pass."""
    with pytest.raises(ValueError, match="secret"):
        verify_signature(b"{}", sign(b"{}", ""), "")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_github_example_decodes(path: Path) -> None:
    """Each of GitHub's example payloads, signed and delivered, decodes to an Event."""
    body = path.read_bytes()
    name = path.parent.name
    event = event_from_http(_headers(body, name), body, SECRET)
    assert event.name == name
    assert event.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert event.payload == json.loads(body)
    expected_action = json.loads(body).get("action")
    assert event.action == expected_action
    if "repository" in event.payload:
        assert event.repo_full_name is not None
        assert "/" in event.repo_full_name


def test_installation_and_sender_are_read_when_present() -> None:
    """The installation id and sender login come from the payload."""
    body = DATA / "webhooks" / "examples" / "pull_request_review" / "submitted.payload.json"
    event = event_from_http(
        _headers(body.read_bytes(), "pull_request_review"), body.read_bytes(), SECRET
    )
    assert isinstance(event.installation_id, int)
    assert event.sender_login == "Codertocat"


def test_null_issue_body_is_kept_as_none() -> None:
    """An issue opened without a description arrives with ``"body": null`` and stays None."""
    payload = json.loads((DATA / "webhooks/examples/issues/opened.payload.json").read_text())
    payload["issue"]["body"] = None
    body = json.dumps(payload).encode()
    event = event_from_http(_headers(body), body, SECRET)
    assert event.payload["issue"]["body"] is None


def test_form_encoded_delivery_decodes() -> None:
    """GitHub's ``application/x-www-form-urlencoded`` content type carries ``payload=<json>``."""
    body = urllib.parse.urlencode({"payload": json.dumps({"action": "opened"})}).encode()
    headers = _headers(body) | {"Content-Type": "application/x-www-form-urlencoded"}
    assert event_from_http(headers, body, SECRET).action == "opened"


def test_signature_is_checked_before_the_body_is_parsed() -> None:
    """Malformed JSON with a bad signature is refused as unauthenticated, not as malformed."""
    headers = _headers(b"{}") | {"X-Hub-Signature-256": sign(b"{}", "other")}
    with pytest.raises(InvalidSignature):
        event_from_http(headers, b"{not json", SECRET)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "application/json", "empty body"),
        (b"{not json", "application/json", "Problems parsing JSON"),
        (b"[1, 2]", "application/json", "JSON object"),
        (b"\xff\xfe", "application/json", "Problems parsing JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "nested too deep"),
        (b'{"a": ' * 65 + b"1" + b"}" * 65, "application/json", "nests deeper than 64"),
        (b'{"n": ' + b"9" * 5000 + b"}", "application/json", "too many digits"),
        (b'{"n": NaN}', "application/json", "NaN is not a JSON value"),
        (b'{"n": -Infinity}', "application/json", "Infinity is not a JSON value"),
        (b"a=b", "application/x-www-form-urlencoded", "payload"),
        (b"{}", "text/plain", "content type"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, content_type: str, message: str) -> None:
    """Bodies that are not a JSON object raise ``MalformedDelivery`` with a clear reason."""
    headers = _headers(body) | {"Content-Type": content_type}
    with pytest.raises(MalformedDelivery, match=message):
        event_from_http(headers, body, SECRET)


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_headers_are_refused(missing: str) -> None:
    """A signed body without GitHub's event or delivery header is not a delivery."""
    headers = _headers(b"{}")
    del headers[missing]
    with pytest.raises(MalformedDelivery, match=missing):
        event_from_http(headers, b"{}", SECRET)


def test_header_names_are_case_insensitive() -> None:
    """HTTP header names are matched without regard to case."""
    body = b'{"action": "created"}'
    headers = {k.lower(): v for k, v in _headers(body, "issue_comment").items()}
    assert event_from_http(headers, body, SECRET).name == "issue_comment"


def test_oversized_body_is_refused_before_hashing() -> None:
    """A body over 25 MB raises ``PayloadTooLarge`` (413), whatever its signature."""
    body = b" " * (MAX_BODY_BYTES + 1)
    with pytest.raises(PayloadTooLarge) as info:
        event_from_http({"X-Hub-Signature-256": "sha256=00"}, body, SECRET)
    assert info.value.status == 413


def test_error_statuses_map_to_http() -> None:
    """Each refusal carries the HTTP status the server answers with."""
    assert (InvalidSignature.status, MalformedDelivery.status, PayloadTooLarge.status) == (
        401,
        400,
        413,
    )


def test_unknown_events_still_decode() -> None:
    """An event specbot has never heard of decodes; routing decides to ignore it."""
    body = b'{"action": "teleported", "repository": {"full_name": "a/b"}}'
    event = event_from_http(_headers(body, "space_travel"), body, SECRET)
    assert (event.name, event.action, event.repo_full_name) == ("space_travel", "teleported", "a/b")


@pytest.mark.parametrize(
    "payload",
    [
        {"repository": None, "installation": None, "sender": None, "action": None},
        {"repository": {"full_name": 3}, "installation": {"id": "7"}, "sender": {"login": []}},
        {"repository": [], "installation": [], "sender": "x", "action": 5},
    ],
)
def test_null_and_odd_fields_read_as_none(payload: dict[str, Any]) -> None:
    """Null or wrongly typed fields read as None instead of raising."""
    event = Event(name="issues", delivery_id="d", payload=payload)
    assert (event.action, event.repo_full_name, event.installation_id, event.sender_login) == (
        None,
        None,
        None,
        None,
    )


def test_action_event_reads_the_event_file() -> None:
    """Inside Actions the event file becomes the same Event, keyed by the run id."""
    text = (DATA / "webhooks/examples/issues/labeled.payload.json").read_text()
    event = event_from_action("issues", text, "123-1")
    assert (event.name, event.action, event.delivery_id) == ("issues", "labeled", "actions-123-1")
    with pytest.raises(MalformedDelivery):
        event_from_action("issues", "[]", "1")
    with pytest.raises(MalformedDelivery):
        event_from_action("issues", "{", "1")


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=2048),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "a;b"]
    ),
)
def test_any_signed_bytes_decode_or_raise_a_webhook_error(body: bytes, content_type: str) -> None:
    """Whatever bytes arrive, the result is an Event or a MalformedDelivery, never a crash."""
    headers = _headers(body) | {"Content-Type": content_type}
    try:
        event = event_from_http(headers, body, SECRET)
    except MalformedDelivery:
        return
    assert isinstance(event.payload, dict)
