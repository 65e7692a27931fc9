"""Who is calling: personal tokens, App JWTs, installation and Actions tokens, git basic auth."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from bot.localhub._errors import ApiError, bad_credentials, forbidden, not_found, requires_auth
from bot.localhub._hub import Hub, iso
from bot.localhub._model import App, Repo, Token, role_rank

# GitHub accepts an App JWT whose ``iat`` is up to this far in the future (clock drift)
CLOCK_SKEW_SECONDS = 60
JWT_MAX_LIFETIME_SECONDS = 600
INSTALLATION_TOKEN_SECONDS = 3600
PERMISSION_LEVELS = {"read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    kind: str  # "anonymous", "user", "app", "installation" or "actions"
    login: str | None = None
    app_id: int | None = None
    installation_id: int | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    repositories: tuple[str, ...] = ()
    bucket: str = "anonymous"

    @property
    def is_app_scoped(self) -> bool:
        """Installation and Actions tokens: limited by permissions and repositories."""
        return self.kind in ("installation", "actions")

    def level(self, scope: str) -> int:
        """An App-scoped token's level on ``scope``: 0 none, 1 read, 2 write, 3 admin."""
        have = PERMISSION_LEVELS.get(self.permissions.get(scope, ""), 0)
        return max(have, 1) if scope == "metadata" else have


ANONYMOUS = Principal(kind="anonymous")


def principal_from_header(hub: Hub, header: str | None) -> Principal:
    """Resolve an ``Authorization`` header (``token``, ``Bearer`` or ``Basic``)."""
    if not header:
        return ANONYMOUS
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "basic":
        return principal_from_basic(hub, value)
    if scheme not in ("token", "bearer") or not value:
        raise bad_credentials()
    if value.count(".") == 2 and value.startswith("ey"):
        app = verify_app_jwt(hub, value)
        return Principal(
            kind="app", app_id=app.id, login=f"{app.slug}[bot]", bucket=f"app:{app.id}"
        )
    return principal_from_token(hub, value)


def principal_from_basic(hub: Hub, value: str) -> Principal:
    """``Basic base64(user:token)`` as git and some clients send it."""
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise bad_credentials() from None
    login, _, password = decoded.partition(":")
    if not password:
        raise bad_credentials()
    # GitHub ignores the user name next to a token (``x-access-token`` by convention)
    del login
    return principal_from_token(hub, password)


def principal_from_token(hub: Hub, token: str) -> Principal:
    """A personal, installation or Actions token, or 401."""
    with hub.lock:
        for account in hub.state.users.values():
            if account.token is not None and secrets.compare_digest(account.token, token):
                return Principal(kind="user", login=account.login, bucket=f"user:{account.login}")
        issued = hub.state.tokens.get(token)
    if issued is None or issued.expires_at <= time.time():
        raise bad_credentials()
    if issued.kind == "user" and issued.login is not None:
        # an App's user-to-server token (the OAuth web flow) acts as its user
        return Principal(kind="user", login=issued.login, bucket=f"user:{issued.login}")
    if issued.kind == "actions":
        login = "github-actions[bot]"
    else:
        assert issued.installation_id is not None
        inst = hub.state.installations[issued.installation_id]
        login = f"{hub.state.apps[inst.app_id].slug}[bot]"
    return Principal(
        kind=issued.kind,
        login=login,
        installation_id=issued.installation_id,
        permissions=issued.permissions,
        repositories=tuple(issued.repositories),
        bucket=f"{issued.kind}:{issued.installation_id or token[-8:]}",
        app_id=hub.state.installations[issued.installation_id].app_id
        if issued.installation_id
        else None,
    )


def verify_app_jwt(hub: Hub, token: str) -> App:
    """Check an App JWT as GitHub does: RS256, the App's key, ``iat``/``exp`` limits."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        issuer = int(str(claims["iss"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        raise ApiError(401, "A JSON web token could not be decoded") from None
    app = hub.state.apps.get(issuer)
    if app is None:
        raise ApiError(401, f"Integration not found with id {issuer}")
    try:
        claims = jwt.decode(
            token,
            app.public_key_pem,
            algorithms=["RS256"],
            options={"require": ["iat", "exp", "iss"], "verify_iat": False},
            leeway=0,
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(
            401,
            "'Expiration time' claim ('exp') must be a numeric value representing the future "
            "time at which the assertion expires",
        ) from None
    except jwt.PyJWTError:
        raise ApiError(401, "A JSON web token could not be decoded") from None
    now = time.time()
    if not isinstance(claims["iat"], int | float) or claims["iat"] > now + CLOCK_SKEW_SECONDS:
        raise ApiError(
            401,
            "'Issued at' claim ('iat') must be an Integer representing the time that the "
            "assertion was issued",
        )
    if claims["exp"] > now + JWT_MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
    return app


def issue_installation_token(
    hub: Hub, app: App, installation_id: int, body: dict[str, Any]
) -> tuple[Token, str]:
    """Mint a 1-hour installation token, narrowed by ``permissions`` and ``repositories``."""
    inst = hub.state.installations.get(installation_id)
    if inst is None or inst.app_id != app.id:
        raise not_found()
    permissions = dict(inst.permissions)
    wanted = body.get("permissions")
    if isinstance(wanted, dict) and wanted:  # PyGithub sends {} for "everything granted"
        for scope, level in wanted.items():
            have = PERMISSION_LEVELS.get(inst.permissions.get(scope, ""), 0)
            if PERMISSION_LEVELS.get(str(level), 9) > have:
                raise ApiError(
                    422,
                    "The permissions requested are not granted to this installation.",
                )
        permissions = {str(k): str(v) for k, v in wanted.items()}
    repositories = list(inst.repositories)
    names = body.get("repositories")
    ids = body.get("repository_ids")
    if isinstance(names, list) or isinstance(ids, list):
        chosen: list[str] = []
        for full in inst.repositories:
            repo = hub.find_repo(full)
            if repo is None:
                continue
            if (isinstance(names, list) and repo.name in names) or (
                isinstance(ids, list) and repo.id in ids
            ):
                chosen.append(repo.full_name)
        if not chosen or len(chosen) < len(names or []) + len(ids or []):
            raise ApiError(
                422,
                "There is at least one repository that does not exist or is not accessible "
                "to the parent installation.",
            )
        repositories = chosen
    expires = time.time() + INSTALLATION_TOKEN_SECONDS
    token = Token(
        token="ghs_" + secrets.token_urlsafe(27)[:36],
        kind="installation",
        installation_id=installation_id,
        expires_at=expires,
        permissions=permissions,
        repositories=repositories,
    )
    with hub.lock:
        hub.state.tokens[token.token] = token
    return token, iso(expires)


def issue_actions_token(hub: Hub, repo: str, permissions: dict[str, str]) -> Token:
    """A token of the kind Actions gives a workflow as ``GITHUB_TOKEN`` (one repository)."""
    token = Token(
        token="ghs_" + secrets.token_urlsafe(27)[:36],
        kind="actions",
        expires_at=time.time() + 6 * 3600,
        permissions=permissions,
        repositories=[hub.repo(repo).full_name],
    )
    with hub.lock:
        hub.state.tokens[token.token] = token
    return token


def user_role(hub: Hub, login: str, repo: Repo) -> str | None:
    """A user's role on a repository: owner is admin, else the collaborator role."""
    if login.lower() == repo.owner.lower():
        return "admin"
    for name, role in repo.collaborators.items():
        if name.lower() == login.lower():
            return role
    return None


def check_access(
    hub: Hub,
    who: Principal,
    repo: Repo,
    *,
    scope: str = "metadata",
    level: str = "read",
    role: str = "read",
) -> None:
    """Raise GitHub's 401/403/404 unless ``who`` may do this on ``repo``.

    ``scope``/``level`` is what an App-scoped token needs, ``role`` what a user needs.
    """
    if who.is_app_scoped:
        _check_token(who, repo, scope, level)
        return
    if who.kind == "app":
        # an App's JWT only reaches /app endpoints; repositories need an installation token
        raise forbidden("Resource not accessible by integration")
    current = user_role(hub, who.login, repo) if who.login else None
    if repo.private and role_rank(current) == 0:
        raise not_found()
    if role_rank(role) <= 1 and level == "read":
        return
    if who.kind == "anonymous":
        raise requires_auth()
    # on a public repository every signed-in user may read, open issues and comment
    effective = max(role_rank(current), 0 if repo.private else 1)
    if effective < role_rank(role):
        raise forbidden(f"Must have {role} access to repository")


def _check_token(who: Principal, repo: Repo, scope: str, level: str) -> None:
    """An installation or Actions token: its repositories and permissions decide."""
    own = repo.full_name in who.repositories
    if repo.private and not own:
        raise not_found()
    if level == "read" and not repo.private:
        return  # public data is readable with any token, whatever its permissions
    if not own or who.level(scope) < PERMISSION_LEVELS[level]:
        raise forbidden("Resource not accessible by integration")
