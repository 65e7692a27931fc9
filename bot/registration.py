"""Registering the GitHub App from its manifest (GitHub's manifest flow), without I/O.

The flow: a page on this machine posts the manifest (``app.yml`` as JSON) to GitHub's
``/settings/apps/new``; GitHub creates the App and sends the browser back to the manifest's
``redirect_url`` with a one-time ``code``; the code is exchanged at
``POST /app-manifests/{code}/conversions`` for the App's id, private key and webhook secret,
which are written where ``specbot serve`` reads them (``app.env`` and ``app.pem`` in the data
directory). This module builds the manifest, the page and the files; ``bot.cli.app`` runs it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ENV_FILE = "app.env"
KEY_FILE = "app.pem"
EXAMPLE_HOST = "specbot.example.com"
_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_SECRET = re.compile(r"^[A-Za-z0-9._~+/=-]{16,200}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_CLIENT = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_WEB_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{1,500}$")
_AUTO_SUBMIT = "document.forms[0].submit();"


class RegistrationError(ValueError):
    """A registration step that cannot go on; the message is one line for the user."""


@dataclass(frozen=True)
class RegisteredApp:
    """What GitHub returned for the new App, checked."""

    app_id: int
    slug: str
    html_url: str
    pem: str
    webhook_secret: str
    # The App's OAuth client, for GitHub sign-in to the run dashboard ("" when not given).
    client_id: str = ""
    client_secret: str = ""


def _http_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistrationError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def api_url_for(github_url: str) -> str:
    """The REST base of a GitHub: ``api.github.com`` for github.com, ``/api/v3`` elsewhere."""
    base = _http_url(github_url, "--github-url")
    if urlsplit(base).hostname in ("github.com", "www.github.com"):
        return "https://api.github.com"
    return f"{base}/api/v3"


def new_app_url(github_url: str, org: str | None, state: str) -> str:
    """Where the manifest is posted: the user's or an organisation's "new App" page."""
    base = _http_url(github_url, "--github-url")
    if org is not None and not _ORG.match(org):
        raise RegistrationError(f"--org {org!r} is not an organisation name")
    path = f"/organizations/{org}/settings/apps/new" if org else "/settings/apps/new"
    return f"{base}{path}?{urlencode({'state': state})}"


def build_manifest(
    app_yml: str, redirect_url: str, public_url: str | None, name: str | None
) -> dict[str, Any]:
    """``app.yml`` with the webhook at ``public_url``/webhook and GitHub sending us back here."""
    try:
        manifest = yaml.safe_load(app_yml)
    except yaml.YAMLError as exc:
        raise RegistrationError(f"the manifest is not valid YAML: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("hook_attributes"), dict):
        raise RegistrationError("the manifest has no hook_attributes: is it specbot's app.yml?")
    if public_url is not None:
        base = _http_url(public_url, "SPECBOT_PUBLIC_URL")
        manifest["hook_attributes"] = {**manifest["hook_attributes"], "url": f"{base}/webhook"}
        # GitHub sends people who sign in to the run dashboard back only to these.
        manifest["callback_urls"] = [f"{base}/auth/callback"]
    if urlsplit(str(manifest["hook_attributes"].get("url", ""))).hostname == EXAMPLE_HOST:
        raise RegistrationError(
            "--public-url is needed: the address GitHub sends webhooks to "
            f"(the manifest's hook_attributes.url is the {EXAMPLE_HOST} example)"
        )
    manifest["redirect_url"] = redirect_url
    if name is not None:
        manifest["name"] = name
    return manifest


def form_page(action: str, manifest: dict[str, Any]) -> tuple[str, str]:
    """The page that posts ``manifest`` to ``action``, and the CSP allowing only its script."""
    value = html.escape(json.dumps(manifest), quote=True)
    digest = base64.b64encode(hashlib.sha256(_AUTO_SUBMIT.encode()).digest()).decode()
    # the callback too: a GitHub that creates the App at once redirects the post there
    targets = f"{_origin(action)} {_origin(str(manifest['redirect_url']))}"
    csp = f"default-src 'none'; script-src 'sha256-{digest}'; form-action {targets}"
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Register specbot</title></head><body>"
        f'<form method="post" action="{html.escape(action, quote=True)}">'
        f'<input type="hidden" name="manifest" value="{value}">'
        f"<p>Posting specbot's App manifest to {html.escape(_origin(action))} ...</p>"
        '<button type="submit">Create the GitHub App</button></form>'
        f"<script>{_AUTO_SUBMIT}</script></body></html>"
    )
    return page, csp


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_code(code: str | None) -> str:
    """The ``code`` GitHub sent back, if it is shaped like one (it goes into a URL path)."""
    if code is None or not _CODE.match(code):
        raise RegistrationError("the callback carries no valid code")
    return code


def registered_app(body: Any) -> RegisteredApp:
    """The conversion's answer, checked field by field before anything is written."""
    if not isinstance(body, dict):
        raise RegistrationError("GitHub's answer is not a JSON object")
    app_id, slug, secret, pem = (body.get(k) for k in ("id", "slug", "webhook_secret", "pem"))
    if not isinstance(app_id, int) or isinstance(app_id, bool) or app_id <= 0:
        raise RegistrationError("GitHub's answer has no App id")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise RegistrationError("GitHub's answer has no usable App slug")
    if not isinstance(secret, str) or not _SECRET.match(secret):
        raise RegistrationError("GitHub's answer has no usable webhook secret")
    if not isinstance(pem, str):
        raise RegistrationError("GitHub's answer has no private key")
    try:
        load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        raise RegistrationError("GitHub's answer holds no usable private key") from None
    url = body.get("html_url")
    # it goes into app.env's first line: no whitespace, so no new line of settings
    html_url = url if isinstance(url, str) and _WEB_URL.match(url) else ""
    client_id, client_secret = body.get("client_id"), body.get("client_secret")
    return RegisteredApp(
        app_id,
        slug,
        html_url,
        pem.strip() + "\n",
        secret,
        # they go into app.env too: one token each, or nothing
        client_id if isinstance(client_id, str) and _CLIENT.match(client_id) else "",
        client_secret if isinstance(client_secret, str) and _CLIENT.match(client_secret) else "",
    )


def env_text(app: RegisteredApp, key_path: str, api_url: str, public_url: str | None) -> str:
    """The ``app.env`` lines ``specbot serve`` reads (the environment still wins)."""
    lines = [
        f"# The GitHub App {app.slug} ({app.html_url}), registered by `specbot app register`.",
        f"GITHUB_APP_ID={app.app_id}",
        f"GITHUB_PRIVATE_KEY_PATH={json.dumps(key_path)}",
        f"GITHUB_WEBHOOK_SECRET={app.webhook_secret}",
        f"GITHUB_API_URL={json.dumps(api_url)}",
    ]
    if public_url is not None:
        lines.append(f"SPECBOT_PUBLIC_URL={json.dumps(public_url.rstrip('/'))}")
    if app.client_id and app.client_secret:
        lines += [f"GITHUB_CLIENT_ID={app.client_id}", f"GITHUB_CLIENT_SECRET={app.client_secret}"]
    return "\n".join(lines) + "\n"
