"""The manifest flow's form post, as a browser sends it after specbot's page submits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml

from bot.localhub import RunningHub

APP_YML = Path(__file__).resolve().parents[2] / "app.yml"
CALLBACK = "http://127.0.0.1:9/callback"


def manifest(name: str = "specbot", **changes: Any) -> dict[str, Any]:
    """specbot's own ``app.yml``, renamed, redirected to ``CALLBACK``, with ``changes``."""
    data: dict[str, Any] = yaml.safe_load(APP_YML.read_text())
    data.update({"name": name, "redirect_url": CALLBACK, **changes})
    return data


def post_manifest(
    hub: RunningHub, data: Any, org: str | None = "acme", state: str = "st4te"
) -> httpx.Response:
    """Post the form GitHub's manifest flow expects (``manifest`` as JSON, ``state``)."""
    path = f"/organizations/{org}/settings/apps/new" if org else "/settings/apps/new"
    text = data if isinstance(data, str) else json.dumps(data)
    return httpx.post(f"{hub.url}{path}?state={state}", data={"manifest": text})


def new_app_code(hub: RunningHub, name: str) -> str:
    """Create an App from a manifest and return the code its redirect carries."""
    response = post_manifest(hub, manifest(name))
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
