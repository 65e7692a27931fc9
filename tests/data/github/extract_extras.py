"""Cut the extra REST operations and webhooks localhub serves out of GitHub's full description.

Run once when the list changes:
``python tests/data/github/extract_extras.py PATH/api.github.com.json.gz``.
The output, ``github-rest-extras.json``, keeps every component those operations reference, so
the conformance tests validate against GitHub's own schemas (MIT, see LICENSE.octokit-openapi).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

EXTRA_OPERATIONS = [
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("put", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("post", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("get", "/repos/{owner}/{repo}/labels"),
    ("post", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("put", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("get", "/repos/{owner}/{repo}/languages"),
    ("get", "/repos/{owner}/{repo}/branches"),
    ("patch", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("delete", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("get", "/repos/{owner}/{repo}/commits"),
    ("get", "/app/installations/{installation_id}"),
    ("get", "/user"),
    ("get", "/users/{username}"),
    ("get", "/app"),
    ("get", "/app/installations"),
    ("get", "/installation/repositories"),
    ("post", "/app-manifests/{code}/conversions"),
]
EXTRA_WEBHOOKS = [
    "issues-unlabeled",
    "issues-reopened",
    "pull-request-edited",
    "pull-request-unlabeled",
]


def collect_refs(node: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Add every ``#/components/...`` reference reachable from ``node`` to ``seen``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            _, _, kind, name = ref.split("/")
            collect_refs(components[kind][name], components, seen)
        for value in node.values():
            collect_refs(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            collect_refs(value, components, seen)


def revert_octokit_edits(node: Any) -> Any:
    """Undo Octokit's ``anyOf`` -> ``allOf`` edit on installation accounts.

    GitHub's description says an installation's ``account`` is a user *or* an enterprise
    (``anyOf``); Octokit's copy turns that into ``allOf``, which no real account satisfies.
    """
    if isinstance(node, list):
        return [revert_octokit_edits(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: revert_octokit_edits(value) for key, value in node.items()}
    members = out.get("allOf")
    if isinstance(members, list):
        titles = {m.get("title") for m in members if isinstance(m, dict)}
        if titles == {"Simple User", "Enterprise"}:
            out["anyOf"] = out.pop("allOf")
    return out


def extract(full: dict[str, Any]) -> dict[str, Any]:
    """The smallest OpenAPI document holding the extra operations and webhooks."""
    paths: dict[str, Any] = {}
    for method, path in EXTRA_OPERATIONS:
        paths.setdefault(path, {})[method] = full["paths"][path][method]
    webhooks = {name: full["x-webhooks"][name] for name in EXTRA_WEBHOOKS}
    seen: set[str] = set()
    collect_refs([paths, webhooks], full["components"], seen)
    components: dict[str, Any] = {}
    for ref in sorted(seen):
        _, _, kind, name = ref.split("/")
        components.setdefault(kind, {})[name] = full["components"][kind][name]
    reverted: dict[str, Any] = revert_octokit_edits(
        {
            "openapi": full["openapi"],
            "info": {**full["info"], "x-subset-of": "@octokit/openapi 23.0.2 api.github.com.json"},
            "paths": paths,
            "x-webhooks": webhooks,
            "components": components,
        }
    )
    return reverted


def main() -> None:
    """Write ``github-rest-extras.json`` next to this script."""
    with gzip.open(sys.argv[1]) as fh:
        full = json.load(fh)
    out = Path(__file__).with_name("github-rest-extras.json")
    out.write_text(json.dumps(extract(full), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
