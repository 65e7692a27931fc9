"""Links to a run's page that only people who saw the tracking comment have.

The page of a run in a private repository must not be readable by anyone who guesses its id,
so the link carries an HMAC of the run id under a key derived from the webhook secret: the
server checks it in constant time and answers 404 without it.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

_PURPOSE = b"specbot run page\0"


def run_signature(secret: str, run_id: str) -> str:
    """The signature of ``run_id`` (hex, 32 characters)."""
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, run_id.encode(), hashlib.sha256).hexdigest()[:32]


def verify_run_signature(secret: str, run_id: str, signature: str | None) -> bool:
    """Whether ``signature`` is the one for ``run_id`` (constant time)."""
    if not signature:
        return False
    return hmac.compare_digest(run_signature(secret, run_id), signature)


def run_link(public_url: str, secret: str, run_id: str) -> str:
    """The run page's URL under ``public_url``."""
    quoted = quote(run_id, safe="")
    return f"{public_url.rstrip('/')}/runs/{quoted}?sig={run_signature(secret, run_id)}"
