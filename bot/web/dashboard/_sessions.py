"""Signed cookies for the dashboard: a session, or a GitHub sign-in in progress.

A cookie is ``v1.<payload>.<mac>``: the payload is compressed JSON with an expiry, the MAC an
HMAC-SHA256 under a key derived from a server secret and a purpose string, so a cookie made
for one purpose (a sign-in's state, a session of the other access mode, another App) never
opens as another. Nothing secret is inside: the login and the repositories it may read, never
a GitHub token. Browsers keep about 4 KB per cookie, so a session reading more repositories
than fit is refused at sign-in (``SessionTooLarge``), a few hundred typical names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

SESSION_COOKIE = "specbot_session"
SIGNIN_COOKIE = "specbot_signin"
SESSION_SECONDS = 8 * 3600
SIGNIN_SECONDS = 600
MAX_COOKIE_BYTES = 3800
DEFAULT_NEXT = "/runs"
_PREFIX = "v1"
_MAX_PAYLOAD_BYTES = 64 * 1024
# what may follow the leading "/" of a local path: no "/" or "\" first (another host), and no
# control characters (browsers drop tabs and new lines, so "/\t/evil" would become "//evil")
_LOCAL_PATH = re.compile(r"^/(?![/\\])[^\\\x00-\x20\x7f]*$")


class SessionTooLarge(ValueError):
    """What a session would carry does not fit in a cookie."""


def derive_key(root: str, purpose: str) -> bytes:
    """A key for one ``purpose`` from a server secret (never the secret itself)."""
    return hmac.new(root.encode(), f"specbot-dashboard/{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Sealer:
    """Seals data into a signed, expiring cookie value and opens it again."""

    key: bytes

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, f"{_PREFIX}.{payload}".encode(), hashlib.sha256).digest())

    def seal(self, data: dict[str, Any], *, seconds: int, now: float | None = None) -> str:
        """The cookie value carrying ``data`` for ``seconds`` (``SessionTooLarge`` if too big)."""
        expires = int((time.time() if now is None else now) + seconds)
        raw = json.dumps({"d": data, "exp": expires}, separators=(",", ":")).encode()
        payload = _b64(zlib.compress(raw, 9))
        value = f"{_PREFIX}.{payload}.{self._mac(payload)}"
        if len(value) > MAX_COOKIE_BYTES:
            raise SessionTooLarge(f"{len(value)} bytes, more than a cookie holds")
        return value

    def open(self, value: str | None, *, now: float | None = None) -> dict[str, Any] | None:
        """The data of a genuine, unexpired ``value``; None for anything else."""
        if not value or len(value) > MAX_COOKIE_BYTES:
            return None
        prefix, _, rest = value.partition(".")
        payload, _, mac = rest.partition(".")
        if prefix != _PREFIX or not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        try:
            inflater = zlib.decompressobj()
            raw = inflater.decompress(_unb64(payload), _MAX_PAYLOAD_BYTES)
            sealed = json.loads(raw)
        except (binascii.Error, zlib.error, ValueError):
            return None
        if not isinstance(sealed, dict) or not isinstance(sealed.get("d"), dict):
            return None
        expires = sealed.get("exp")
        if not isinstance(expires, int) or expires <= (time.time() if now is None else now):
            return None
        data: dict[str, Any] = sealed["d"]
        return data


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else the run list (no open redirect)."""
    if value and len(value) <= 2000 and _LOCAL_PATH.match(value):
        return value
    return DEFAULT_NEXT


def is_https(request: Request, public_url: str | None) -> bool:
    """Whether the browser reaches us over https (the cookie is then ``Secure``)."""
    return request.url.scheme == "https" or (public_url or "").startswith("https://")


def set_cookie(
    response: Response, name: str, value: str, *, seconds: int, secure: bool, path: str = "/"
) -> None:
    """Set a signed cookie scripts cannot read and other sites' posts do not carry."""
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        path=path,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, name: str, *, secure: bool, path: str = "/") -> None:
    """Remove a cookie (the same attributes, expired)."""
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")
