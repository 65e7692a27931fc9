"""localhub: a local GitHub that real clients cannot tell from GitHub Enterprise.

REST at ``/api/v3`` (stateful, GitHub's schemas and errors), git smart HTTP at
``/<owner>/<repo>.git`` on real bare repositories, signed webhooks, App auth, faults.

    hub = start_localhub(Path("seed.yml"))
    gh = github.Github(base_url=hub.api_url, auth=github.Auth.Token("ghp_alice"))
    hub.open_issue("acme/widgets", "Add a flag", as_user="alice")
    hub.stop()
"""

from bot.localhub._faults import FaultRule
from bot.localhub._gitrepo import GitError
from bot.localhub._localhub import LocalHub
from bot.localhub._oauth import oauth_client
from bot.localhub._seed import (
    Seed,
    SeedApp,
    SeedError,
    SeedHook,
    SeedInstallation,
    SeedRepo,
    SeedUser,
    load_seed,
)
from bot.localhub._server import RunningHub, build_app, start_localhub

__all__ = [
    "FaultRule",
    "GitError",
    "LocalHub",
    "RunningHub",
    "Seed",
    "SeedApp",
    "SeedError",
    "SeedHook",
    "SeedInstallation",
    "SeedRepo",
    "SeedUser",
    "build_app",
    "load_seed",
    "oauth_client",
    "start_localhub",
]
