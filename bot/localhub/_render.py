"""Accounts, repositories, labels and Apps rendered as GitHub's REST API returns them."""

from __future__ import annotations

import base64
from typing import Any

from bot.localhub._hub import Hub
from bot.localhub._model import App, Installation, Label, Repo, User

_USER_LINKS = {
    "followers_url": "/followers",
    "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}",
    "starred_url": "/starred{/owner}{/repo}",
    "subscriptions_url": "/subscriptions",
    "organizations_url": "/orgs",
    "repos_url": "/repos",
    "events_url": "/events{/privacy}",
    "received_events_url": "/received_events",
}

_REPO_LINKS = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}


def node_id(kind: str, ident: int) -> str:
    """A GraphQL-style global id; opaque to clients, stable for one object."""
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def user(hub: Hub, login: str | None) -> dict[str, Any] | None:
    """A ``simple-user``; None for a missing login."""
    if login is None:
        return None
    account = hub.ensure_user(login)
    return simple_user(hub, account)


def simple_user(hub: Hub, account: User) -> dict[str, Any]:
    """A ``simple-user`` for a known account."""
    url = f"{hub.api_url}/users/{account.login}"
    out: dict[str, Any] = {
        "login": account.login,
        "id": account.id,
        "node_id": node_id("User", account.id),
        "avatar_url": f"{hub.public_url}/avatars/u/{account.id}",
        "gravatar_id": "",
        "url": url,
        "html_url": hub.html_url(account.login),
        "type": account.type,
        "user_view_type": "public",
        "site_admin": False,
    }
    out.update({key: url + suffix for key, suffix in _USER_LINKS.items()})
    return out


def public_user(hub: Hub, account: User, private: bool = False) -> dict[str, Any]:
    """A ``public-user`` (``GET /users/{login}``) or, for oneself, a ``private-user``."""
    out = simple_user(hub, account)
    out.update(
        {
            "name": account.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": account.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(1 for r in hub.state.repos.values() if r.owner == account.login),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": account.created_at,
            "updated_at": account.created_at,
        }
    )
    if private:
        out.update(
            {
                "private_gists": 0,
                "total_private_repos": 0,
                "owned_private_repos": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": False,
            }
        )
    return out


def repository(
    hub: Hub, repo: Repo, *, full: bool = True, permissions: dict[str, bool] | None = None
) -> dict[str, Any]:
    """A ``full-repository`` (or, with ``full=False``, the shorter ``repository``)."""
    url = f"{hub.api_url}/repos/{repo.full_name}"
    owner = hub.ensure_user(repo.owner)
    open_count = sum(
        1
        for issue in hub.state.issues.values()
        if issue.repo == repo.full_name and issue.state == "open"
    )
    out: dict[str, Any] = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": simple_user(hub, owner),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": hub.html_url(repo.full_name),
        "description": repo.description,
        "fork": repo.fork_of is not None,
        "url": url,
        "git_url": f"{hub.public_url}/{repo.full_name}.git",
        "ssh_url": f"git@localhost:{repo.full_name}.git",
        "clone_url": f"{hub.public_url}/{repo.full_name}.git",
        "svn_url": hub.html_url(repo.full_name),
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": open_count,
        "open_issues": open_count,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "license": None,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "pushed_at": repo.pushed_at,
        "created_at": repo.created_at,
        "updated_at": repo.updated_at,
    }
    out.update({key: url + suffix for key, suffix in _REPO_LINKS.items()})
    if permissions is not None:
        out["permissions"] = permissions
    if full:
        out.update(_full_repository(hub, repo, owner))
    return out


# the pull request settings of a new repository on GitHub
_MERGE_SETTINGS: dict[str, Any] = {
    "allow_squash_merge": True,
    "allow_merge_commit": True,
    "allow_rebase_merge": True,
    "allow_auto_merge": False,
    "delete_branch_on_merge": False,
    "allow_update_branch": False,
    "use_squash_pr_title_as_default": False,
    "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
    "squash_merge_commit_message": "COMMIT_MESSAGES",
    "merge_commit_title": "MERGE_MESSAGE",
    "merge_commit_message": "PR_TITLE",
}


def _full_repository(hub: Hub, repo: Repo, owner: User) -> dict[str, Any]:
    """What a ``full-repository`` adds: settings, counts, its organisation, a fork's origins."""
    out: dict[str, Any] = {
        "temp_clone_token": None,
        **_MERGE_SETTINGS,
        "network_count": 0,
        "subscribers_count": 0,
    }
    if owner.type == "Organization":
        out["organization"] = simple_user(hub, owner)
    parent = hub.find_repo(repo.fork_of) if repo.fork_of else None
    if parent is not None:
        out["parent"] = repository(hub, parent, full=False)
        out["source"] = repository(hub, _fork_root(hub, parent), full=False)
    return out


def _fork_root(hub: Hub, repo: Repo) -> Repo:
    """The repository at the start of a chain of forks."""
    seen = {repo.full_name}
    while repo.fork_of and (up := hub.find_repo(repo.fork_of)) and up.full_name not in seen:
        seen.add(up.full_name)
        repo = up
    return repo


def label(hub: Hub, repo: Repo, item: Label) -> dict[str, Any]:
    """A ``label``."""
    return {
        "id": item.id,
        "node_id": node_id("Label", item.id),
        "url": f"{hub.api_url}/repos/{repo.full_name}/labels/{item.name}",
        "name": item.name,
        "description": item.description,
        "color": item.color,
        "default": False,
    }


APP_EVENTS = [
    "check_run",
    "check_suite",
    "issue_comment",
    "issues",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
]


def client_id(app_id: int) -> str:
    """The App's OAuth client id, shaped like GitHub's (``Iv1.`` and 16 hex digits)."""
    return f"Iv1.{app_id:016x}"


def app(hub: Hub, item: App) -> dict[str, Any]:
    """An ``integration`` (``GET /app`` and the ``app`` of check runs)."""
    owner = hub.ensure_user(item.owner)
    permissions = dict(item.permissions)
    for inst in hub.state.installations.values():
        if inst.app_id == item.id and not item.permissions:
            permissions.update(inst.permissions)
    return {
        "id": item.id,
        "slug": item.slug,
        "client_id": client_id(item.id),
        "node_id": node_id("App", item.id),
        "owner": simple_user(hub, owner),
        "name": item.name,
        "description": item.description,
        "external_url": item.url or hub.html_url(f"apps/{item.slug}"),
        "html_url": hub.html_url(f"apps/{item.slug}"),
        "created_at": item.created_at,
        "updated_at": item.created_at,
        "permissions": permissions or {"metadata": "read"},
        "events": item.events or APP_EVENTS,
        "installations_count": sum(
            1 for i in hub.state.installations.values() if i.app_id == item.id
        ),
    }


def installation(hub: Hub, item: Installation) -> dict[str, Any]:
    """An ``installation``."""
    account = hub.ensure_user(item.account)
    app_item = hub.state.apps[item.app_id]
    return {
        "id": item.id,
        "account": simple_user(hub, account),
        "repository_selection": "selected",
        "access_tokens_url": f"{hub.api_url}/app/installations/{item.id}/access_tokens",
        "repositories_url": f"{hub.api_url}/installation/repositories",
        "html_url": hub.html_url(f"settings/installations/{item.id}"),
        "app_id": item.app_id,
        "app_slug": app_item.slug,
        "client_id": client_id(item.app_id),
        "target_id": account.id,
        "target_type": account.type,
        "permissions": item.permissions,
        "events": APP_EVENTS,
        "created_at": item.created_at,
        "updated_at": item.created_at,
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }
