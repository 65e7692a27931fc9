"""Sans-I/O webhook handling: verify a delivery's signature and decode it into an ``Event``.

Nothing here touches the network or disk: the web server and the Action entrypoint hand in bytes
and headers, and get back an ``Event`` or a domain exception. GitHub's rules are documented at
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# GitHub caps payloads at 25 MB and does not deliver larger ones; anything bigger is not GitHub.
MAX_BODY_BYTES = 25 * 1024 * 1024
# GitHub's payloads nest about a dozen levels; deeper is not GitHub, and would only reach code
# (encoders, validators, the engine's serializer) that recurses once per level.
MAX_DEPTH = 64


class WebhookError(Exception):
    """A delivery that specbot refuses; ``status`` is the HTTP status to answer with."""

    status: int = 400


class InvalidSignature(WebhookError):
    """The ``X-Hub-Signature-256`` header is missing or does not match the body."""

    status = 401


class PayloadTooLarge(WebhookError):
    """The body is larger than GitHub ever sends."""

    status = 413


class MalformedDelivery(WebhookError):
    """Headers or body are not a GitHub webhook delivery."""

    status = 400


@dataclass(frozen=True)
class Event:
    """One webhook delivery: GitHub's event name, its delivery id and the decoded payload.

    The event name stays a string, not an Enum: GitHub adds events without notice and an
    unknown one must flow through to the router, which ignores it, rather than fail to parse.
    """

    name: str
    delivery_id: str
    payload: Mapping[str, Any] = field(repr=False)

    @property
    def action(self) -> str | None:
        """The payload's ``action`` (``opened``, ``labeled`` ...), if the event has one."""
        action = self.payload.get("action")
        return action if isinstance(action, str) else None

    def _nested(self, key: str, field: str) -> object:
        """``payload[key][field]``, or None when either level is missing or not an object."""
        outer = self.payload.get(key)
        return outer.get(field) if isinstance(outer, Mapping) else None

    @property
    def repo_full_name(self) -> str | None:
        """``owner/name`` of the repository the event is about, if any."""
        name = self._nested("repository", "full_name")
        return name if isinstance(name, str) else None

    @property
    def installation_id(self) -> int | None:
        """The GitHub App installation the delivery was sent for, if any."""
        value = self._nested("installation", "id")
        return value if isinstance(value, int) else None

    @property
    def sender_login(self) -> str | None:
        """The login of the user (or bot) whose action caused the event."""
        login = self._nested("sender", "login")
        return login if isinstance(login, str) else None


def sign(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` value GitHub would send for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(body: bytes, signature: str | None, secret: str) -> None:
    """Raise ``InvalidSignature`` unless ``signature`` is GitHub's HMAC-SHA256 of ``body``.

    The comparison is constant-time (``hmac.compare_digest``) so that response timing does
    not leak how much of a forged signature was right.
    """
    if not secret:
        raise ValueError("a webhook secret is required to verify deliveries")
    if not signature:
        raise InvalidSignature("missing X-Hub-Signature-256 header")
    expected = sign(body, secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8")):
        raise InvalidSignature("X-Hub-Signature-256 does not match the body")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def decode_payload(body: bytes, content_type: str | None) -> dict[str, Any]:
    """Decode a delivery body, JSON or form-encoded (``payload=<json>``), into a dict."""
    media_type = (content_type or "application/json").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise MalformedDelivery(f"form body is not UTF-8: {exc}") from exc
        texts = form.get("payload")
        if not texts:
            raise MalformedDelivery("form-encoded delivery without a 'payload' field")
        raw: str | bytes = texts[0]
    elif media_type == "application/json":
        raw = body
    else:
        raise MalformedDelivery(f"unsupported content type {media_type!r}")
    if not raw:
        raise MalformedDelivery("empty body")
    return parse_json_object(raw, "payload")


def parse_json_object(raw: str | bytes, what: str) -> dict[str, Any]:
    """``raw`` decoded as a JSON object of GitHub's shape, or ``MalformedDelivery`` saying why.

    Every way the decoder can refuse text ends here as one error: invalid UTF-8 or JSON,
    nesting past the interpreter's recursion limit, integers past its digit limit, and the
    non-standard ``NaN``/``Infinity`` tokens Python would otherwise accept.
    """
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise MalformedDelivery(f"Problems parsing JSON: {what}: {exc}") from None
    except UnicodeDecodeError:
        raise MalformedDelivery(f"Problems parsing JSON: {what} is not UTF-8") from None
    except RecursionError:
        raise MalformedDelivery(f"Problems parsing JSON: {what} is nested too deep") from None
    except ValueError as exc:  # int() past sys.get_int_max_str_digits(), or a refused constant
        raise MalformedDelivery(f"Problems parsing JSON: {what}: {_first_line(exc)}") from None
    if not isinstance(data, dict):
        raise MalformedDelivery(f"{what} must be a JSON object")
    if _nested_deeper_than(data, MAX_DEPTH):
        raise MalformedDelivery(f"Problems parsing JSON: {what} nests deeper than {MAX_DEPTH}")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if "digits" in text:
        return "a number has too many digits"
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def _nested_deeper_than(data: object, limit: int) -> bool:
    """Whether ``data`` holds containers more than ``limit`` levels deep (no recursion)."""
    level: list[object] = [data]
    for _ in range(limit):
        below: list[object] = []
        for item in level:
            if isinstance(item, dict):
                below.extend(v for v in item.values() if isinstance(v, dict | list))
            elif isinstance(item, list):
                below.extend(v for v in item if isinstance(v, dict | list))
        if not below:
            return False
        level = below
    return True


def event_from_http(headers: Mapping[str, str], body: bytes, secret: str) -> Event:
    """Verify and decode one HTTP delivery; raises a ``WebhookError`` subclass on bad input.

    The order matters: size first (cheap), then the signature over the raw bytes (before any
    parsing, so unauthenticated input never reaches the JSON decoder), then the headers and body.
    """
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    verify_signature(body, _header(headers, "X-Hub-Signature-256"), secret)
    name = _header(headers, "X-GitHub-Event")
    delivery_id = _header(headers, "X-GitHub-Delivery")
    if not name:
        raise MalformedDelivery("missing X-GitHub-Event header")
    if not delivery_id:
        raise MalformedDelivery("missing X-GitHub-Delivery header")
    payload = decode_payload(body, _header(headers, "Content-Type"))
    return Event(name=name.strip(), delivery_id=delivery_id.strip(), payload=payload)


def event_from_action(event_name: str, event_path_text: str, run_id: str) -> Event:
    """Build the same ``Event`` inside GitHub Actions from ``GITHUB_EVENT_NAME``/``_PATH``.

    Actions has no delivery id; the workflow run id (plus attempt) identifies it instead.
    """
    data = parse_json_object(event_path_text, "GITHUB_EVENT_PATH")
    return Event(name=event_name, delivery_id=f"actions-{run_id}", payload=data)
