"""GitHub's App manifest flow: a form posts a manifest, the App is created, a code is exchanged.

``POST /settings/apps/new`` (an App of the signed-in user: localhub's first seeded user) or
``POST /organizations/{org}/settings/apps/new`` takes the form field ``manifest`` (JSON) and
``state``, creates the App, and redirects to the manifest's ``redirect_url`` with ``?code=`` and
``state``, as GitHub does after its "Create GitHub App" button. ``POST /api/v3/app-manifests/
{code}/conversions`` exchanges the code, once and within an hour, for the App with its private
key (``pem``), webhook secret and client secret.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.localhub._errors import ApiError, not_found
from bot.localhub._html import esc, page
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._hub import Hub
from bot.localhub._model import App, ManifestCode
from bot.localhub._render import app as render_app

CODE_TTL_SECONDS = 3600
MAX_FORM_BYTES = 1024 * 1024
LEVELS = ("read", "write", "admin")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class ManifestError(ValueError):
    """A manifest GitHub would refuse; the message says which field."""


def _web_url(value: Any, field: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise ManifestError(f"{field} must be an http(s) URL")
    if not urlsplit(value).netloc:
        raise ManifestError(f"{field} must be an http(s) URL")
    return value


def parse_manifest(text: str) -> dict[str, Any]:
    """The manifest as data, checked as GitHub checks it (``ManifestError`` naming the field)."""
    try:
        manifest = json.loads(text)
    except ValueError:
        raise ManifestError("manifest is not valid JSON") from None
    if not isinstance(manifest, dict):
        raise ManifestError("manifest must be a JSON object")
    name = manifest.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 34:
        raise ManifestError("name must be 1 to 34 characters")
    _web_url(manifest.get("url"), "url")
    _web_url(manifest.get("redirect_url"), "redirect_url")
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict):
        raise ManifestError("hook_attributes.url is required")
    _web_url(hook.get("url"), "hook_attributes.url")
    permissions = manifest.get("default_permissions") or {}
    if not isinstance(permissions, dict) or any(
        not isinstance(k, str) or v not in LEVELS for k, v in permissions.items()
    ):
        raise ManifestError("default_permissions must map names to read, write or admin")
    events = manifest.get("default_events") or []
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ManifestError("default_events must be a list of event names")
    return manifest


def _owner(hub: Hub, org: str | None) -> str:
    if org is not None:
        account = hub.state.users.get(org.lower())
        if account is None or account.type != "Organization":
            raise not_found()
        return account.login
    people = sorted((u for u in hub.state.users.values() if u.type == "User"), key=lambda u: u.id)
    if not people:
        raise ManifestError("nobody is signed in: localhub has no user")
    return people[0].login


def create_app(hub: Hub, manifest: dict[str, Any], org: str | None) -> ManifestCode:
    """Create the App the manifest describes, with a new key, and the code for its secrets."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    name = manifest["name"].strip()
    slug = _NOT_SLUG.sub("-", name.lower()).strip("-") or "app"
    with hub.lock:
        owner = _owner(hub, org)
        if any(a.slug == slug or a.name.lower() == name.lower() for a in hub.state.apps.values()):
            raise ManifestError(f"name {name!r} is already in use")
        hook = manifest["hook_attributes"]
        app = App(
            id=hub.new_id(),
            slug=slug,
            name=name,
            owner=owner,
            public_key_pem=public.decode(),
            webhook_url=hook["url"] if hook.get("active", True) is not False else None,
            webhook_secret=secrets.token_hex(20),
            created_at=hub.now(),
            description=manifest.get("description"),
            url=manifest["url"],
            permissions={"metadata": "read", **(manifest.get("default_permissions") or {})},
            events=list(manifest.get("default_events") or []),
        )
        hub.state.apps[app.id] = app
        hub.ensure_user(f"{slug}[bot]", kind="Bot")
        code = ManifestCode(
            code=secrets.token_hex(20),
            app_id=app.id,
            pem=pem,
            client_secret=app.client_secret,
            expires_at=time.time() + CODE_TTL_SECONDS,
        )
        hub.state.manifest_codes[code.code] = code
    return code


def redirect_to(url: str, code: str, state: str | None) -> str:
    """``redirect_url`` with ``code`` (and ``state`` when given) added to its query."""
    parts = urlsplit(url)
    query = [(k, v) for k, values in parse_qs(parts.query).items() for v in values]
    query.append(("code", code))
    if state is not None:
        query.append(("state", state))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _new_app(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return page("Manifest refused", "<h1>The form is too large.</h1>", 413)
    form = parse_qs(raw.decode("utf-8", errors="replace"))
    state = form.get("state", [None])[0] or request.query_params.get("state")
    try:
        manifest = parse_manifest(form.get("manifest", [""])[0])
        org = request.path_params.get("org")
        code = await run_in_threadpool(create_app, hub, manifest, org)
    except ManifestError as error:
        return page("Manifest refused", f"<h1>Manifest refused</h1><p>{esc(error)}</p>", 422)
    except ApiError:
        return page("Not found", "<h1>404</h1><p>No such organization.</p>", 404)
    await run_in_threadpool(hub.persist)
    return RedirectResponse(redirect_to(manifest["redirect_url"], code.code, state), 302)


def convert(call: Call) -> Reply:
    """``POST /app-manifests/{code}/conversions``: the App and its secrets, once per code."""
    with call.hub.lock:
        found = call.hub.state.manifest_codes.pop(call.params["code"], None)
    if found is None or found.expires_at < time.time():
        raise not_found()
    app = call.hub.state.apps[found.app_id]
    body = render_app(call.hub, app)
    body.update(
        {
            "client_secret": found.client_secret,
            "webhook_secret": app.webhook_secret,
            "pem": found.pem,
        }
    )
    return Reply(body, status=201)


ROUTES = [
    Route("/settings/apps/new", _new_app, methods=["POST"]),
    Route("/organizations/{org}/settings/apps/new", _new_app, methods=["POST"]),
]
ENDPOINTS = [Endpoint("POST", "/app-manifests/{code}/conversions", convert)]
