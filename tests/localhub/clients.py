"""Small helpers the localhub tests share: App JWTs and installation tokens."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt

from tests.hub_fixtures import APP_ID, INSTALLATION_ID


def app_jwt(
    key: Path, app_id: int = APP_ID, *, iat: float | None = None, exp: float | None = None
) -> str:
    """An RS256 JWT for the App, as GitHub asks Apps to sign them."""
    now = time.time()
    claims = {
        "iat": int(now - 60 if iat is None else iat),
        "exp": int(now + 540 if exp is None else exp),
        "iss": str(app_id),
    }
    return jwt.encode(claims, key.read_text(), algorithm="RS256")


def installation_token(api_url: str, key: Path, installation_id: int = INSTALLATION_ID) -> str:
    """Exchange the App's JWT for an installation token over the REST API."""
    response = httpx.post(
        f"{api_url}/app/installations/{installation_id}/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(key)}"},
    )
    response.raise_for_status()
    token: str = response.json()["token"]
    return token
