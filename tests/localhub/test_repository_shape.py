"""``GET /repos/{owner}/{repo}`` carries every key of GitHub's recorded ``full-repository``."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.localhub import RunningHub
from tests.localhub.openapi import DATA, errors_of, response_schema

R = "/repos/{owner}/{repo}"

# keys of GitHub's example that localhub leaves out of a repository that is not a fork, and why
LEFT_OUT = {
    "template_repository": "localhub has no template repositories to generate one from",
    "parent": "only a fork has a parent (see the fork test)",
    "source": "only a fork has a source (see the fork test)",
}

# GitHub's settings for a new repository, sent in full-repository only
MERGE_DEFAULTS = {
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


def _example() -> dict[str, Any]:
    spec = json.loads((DATA / "github-rest-subset.json").read_text())
    examples = spec["components"]["examples"]
    value: dict[str, Any] = examples["full-repository-default-response"]["value"]
    return value


def _get(hub: RunningHub, full_name: str, token: str = "ghp_alice") -> dict[str, Any]:
    response = httpx.get(
        f"{hub.api_url}/repos/{full_name}", headers={"Authorization": f"token {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    schema = response_schema("GET", R, 200)
    assert schema is not None
    assert errors_of(schema, body) == []
    return body


def test_every_key_of_githubs_example_is_there(hub: RunningHub) -> None:
    """Each top-level key of the recorded response is present, but the ones listed as left out."""
    body = _get(hub, "acme/widgets")
    missing = set(_example()) - set(body) - set(LEFT_OUT)
    assert not missing, f"keys GitHub sends that localhub lacks: {sorted(missing)}"
    assert not set(LEFT_OUT) & set(body), "a key listed as left out is sent: update LEFT_OUT"
    assert set(LEFT_OUT) <= set(_example()), "LEFT_OUT names a key GitHub's example lacks"


def test_settings_have_githubs_defaults_and_an_organisation_is_named(hub: RunningHub) -> None:
    """Pull request settings are a new repository's; an organisation's repository names it."""
    body = _get(hub, "acme/widgets")
    assert {k: body[k] for k in MERGE_DEFAULTS} == MERGE_DEFAULTS
    assert (body["organization"]["login"], body["organization"]["type"]) == ("acme", "Organization")
    assert body["temp_clone_token"] is None


@pytest.mark.parametrize("token", ["ghp_alice", "actions"])
def test_a_fork_names_its_parent_and_source(hub: RunningHub, token: str) -> None:
    """A fork of a fork: ``parent`` is the one it was forked from, ``source`` the first."""
    hub.add_repo("mallory/widgets", fork_of="acme/widgets")
    hub.add_repo("trent/widgets", fork_of="mallory/widgets")
    if token == "actions":  # a token of another repository reads public ones
        token = hub.actions_token("acme/widgets", workflow_permissions={})
    body = _get(hub, "trent/widgets", token)
    assert body["fork"] is True
    assert (body["parent"]["full_name"], body["source"]["full_name"]) == (
        "mallory/widgets",
        "acme/widgets",
    )
    assert "organization" not in body  # owned by a user
    first = _get(hub, "mallory/widgets", token)
    assert first["parent"]["full_name"] == first["source"]["full_name"] == "acme/widgets"


def test_embedded_repositories_stay_short(hub: RunningHub) -> None:
    """Repositories inside other objects are the short ``repository``, as GitHub sends them."""
    body = httpx.get(
        f"{hub.api_url}/repos/acme/widgets/commits/main/status",
        headers={"Authorization": "token ghp_alice"},
    ).json()
    assert not {"organization", "network_count", "subscribers_count"} & set(body["repository"])
