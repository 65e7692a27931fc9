"""The seed file (YAML): users, organisations, repositories, Apps, installations, hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._hub import Hub
from bot.localhub._model import App, Hook, Installation, Repo

Role = Literal["read", "triage", "write", "maintain", "admin"]
Level = Literal["read", "write", "admin"]


def _metadata_read() -> dict[str, Level]:
    return {"metadata": "read"}


class SeedError(ValueError):
    """A seed file that cannot be loaded; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedUser(_Strict):
    """A user and the personal token localhub accepts for it."""

    login: str
    token: str | None = None
    name: str | None = None
    email: str | None = None


class SeedRepo(_Strict):
    """A repository; ``source`` is a directory (one first commit) or a git repository."""

    full_name: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    source: Path | None = None
    default_branch: str = "main"
    private: bool = False
    description: str | None = None
    collaborators: dict[str, Role] = Field(default_factory=dict)
    fork_of: str | None = Field(
        default=None, description="A fork of this (earlier) repository: its history, its owner."
    )


class SeedInstallation(_Strict):
    """An installation of an App on an account."""

    id: int
    account: str
    repositories: list[str] = Field(default_factory=list)
    permissions: dict[str, Level] = Field(default_factory=_metadata_read)


class SeedApp(_Strict):
    """A GitHub App; the public key of ``private_key_path`` verifies its JWTs."""

    id: int
    slug: str
    name: str | None = None
    owner: str | None = None
    private_key_path: Path | None = None
    public_key_path: Path | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    client_secret: str | None = Field(
        default=None, description="The OAuth client's secret (random when not given)."
    )
    installations: list[SeedInstallation] = Field(default_factory=list)


class SeedHook(_Strict):
    """A repository webhook."""

    repo: str
    url: str
    secret: str | None = None
    events: list[str] = Field(default_factory=lambda: ["*"])


class Seed(_Strict):
    """A whole seed file."""

    users: list[SeedUser] = Field(default_factory=list)
    orgs: list[str] = Field(default_factory=list)
    repos: list[SeedRepo] = Field(default_factory=list)
    apps: list[SeedApp] = Field(default_factory=list)
    hooks: list[SeedHook] = Field(default_factory=list)


def parse_seed(data: Any, base_dir: Path) -> Seed:
    """Validate seed data; relative paths become relative to ``base_dir``."""
    try:
        seed = Seed.model_validate(data or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SeedError(f"seed: {where}: {first['msg']}") from None
    for repo in seed.repos:
        if repo.source is not None and not repo.source.is_absolute():
            repo.source = (base_dir / repo.source).resolve()
    for app in seed.apps:
        for attr in ("private_key_path", "public_key_path"):
            value = getattr(app, attr)
            if value is not None and not value.is_absolute():
                setattr(app, attr, (base_dir / value).resolve())
    return seed


def load_seed(path: Path) -> Seed:
    """Read and validate a seed file."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as error:
        raise SeedError(f"seed: cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SeedError(f"seed: {path} is not valid YAML: {error}") from None
    return parse_seed(data, path.parent)


def public_key_of(app: SeedApp) -> str:
    """The PEM public key that verifies the App's JWTs."""
    if app.public_key_path is not None:
        return app.public_key_path.read_text()
    if app.private_key_path is None:
        raise SeedError(f"seed: app {app.slug}: needs private_key_path or public_key_path")
    try:
        key = serialization.load_pem_private_key(app.private_key_path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise SeedError(
            f"seed: app {app.slug}: cannot load {app.private_key_path}: {error}"
        ) from None
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def add_repo(hub: Hub, spec: SeedRepo) -> Repo:
    """Create a repository (and its bare git repository) from a seed entry."""
    owner, name = spec.full_name.split("/")
    if hub.find_repo(spec.full_name) is not None:
        raise SeedError(f"seed: repository {spec.full_name} exists already")
    owner_account = hub.ensure_user(owner)
    path = hub.repo_path(spec.full_name)
    source = spec.source
    parent = hub.find_repo(spec.fork_of) if spec.fork_of is not None else None
    if spec.fork_of is not None and parent is None:
        raise SeedError(f"seed: {spec.full_name}: fork of unknown repository {spec.fork_of}")
    if parent is not None:
        gitrepo.clone_bare(hub.repo_path(parent.full_name), path, parent.default_branch)
    elif source is not None and ((source / ".git").exists() or (source / "HEAD").is_file()):
        gitrepo.clone_bare(source, path, spec.default_branch)
    else:
        gitrepo.init_bare(path, spec.default_branch)
        if spec.source is not None:
            if not spec.source.is_dir():
                raise SeedError(f"seed: {spec.full_name}: source {spec.source} is not a directory")
            who = gitrepo.Person(
                owner_account.name or owner,
                owner_account.email or f"{owner}@users.noreply.localhub",
                "",
            )
            gitrepo.commit_directory(path, spec.source, spec.default_branch, who, "Initial commit")
    now = hub.now()
    repo = Repo(
        id=hub.new_id(),
        owner=owner,
        name=name,
        private=spec.private,
        default_branch=parent.default_branch if parent is not None else spec.default_branch,
        description=spec.description,
        collaborators=dict(spec.collaborators),
        fork_of=parent.full_name if parent is not None else None,
        created_at=now,
        updated_at=now,
        pushed_at=now,
    )
    with hub.lock:
        hub.state.repos[spec.full_name.lower()] = repo
    return repo


def apply_seed(hub: Hub, seed: Seed) -> None:
    """Load every entry of a seed into the hub."""
    with hub.lock:
        for spec in seed.users:
            account = hub.ensure_user(spec.login)
            account.token, account.name, account.email = spec.token, spec.name, spec.email
        for org in seed.orgs:
            hub.ensure_user(org, kind="Organization").type = "Organization"
    for repo_spec in seed.repos:
        add_repo(hub, repo_spec)
    for app_spec in seed.apps:
        add_app(hub, app_spec)
    for hook_spec in seed.hooks:
        add_hook(hub, hook_spec)


def add_app(hub: Hub, spec: SeedApp) -> App:
    """Register an App and its installations."""
    now = hub.now()
    app = App(
        id=spec.id,
        slug=spec.slug,
        name=spec.name or spec.slug,
        owner=spec.owner or (spec.installations[0].account if spec.installations else spec.slug),
        public_key_pem=public_key_of(spec),
        webhook_url=spec.webhook_url,
        webhook_secret=spec.webhook_secret,
        created_at=now,
        **({"client_secret": spec.client_secret} if spec.client_secret else {}),
    )
    with hub.lock:
        hub.state.apps[app.id] = app
        hub.ensure_user(f"{app.slug}[bot]", kind="Bot")
        add_installations(hub, app, spec.installations)
    return app


def add_installations(hub: Hub, app: App, installations: list[SeedInstallation]) -> None:
    """Install ``app`` on accounts for the repositories each installation lists."""
    now = hub.now()
    with hub.lock:
        for inst in installations:
            if inst.id in hub.state.installations:
                raise SeedError(f"seed: installation {inst.id} exists already")
            repos = []
            for name in inst.repositories:
                repo = hub.find_repo(name)
                if repo is None:
                    raise SeedError(f"seed: installation {inst.id}: unknown repository {name}")
                repos.append(repo.full_name)
            hub.ensure_user(inst.account)
            hub.state.installations[inst.id] = Installation(
                id=inst.id,
                app_id=app.id,
                account=inst.account,
                repositories=repos,
                permissions={"metadata": "read", **inst.permissions},
                created_at=now,
            )


def add_hook(hub: Hub, spec: SeedHook) -> Hook:
    """Register a repository webhook."""
    repo = hub.find_repo(spec.repo)
    if repo is None:
        raise SeedError(f"seed: hook: unknown repository {spec.repo}")
    hook = Hook(
        id=hub.new_id(),
        repo=repo.full_name,
        url=spec.url,
        secret=spec.secret,
        events=spec.events,
        created_at=hub.now(),
    )
    with hub.lock:
        hub.state.hooks[hook.id] = hook
    return hook
