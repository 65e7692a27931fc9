"""Deterministic workflow ids: the same trigger always maps to the same run, so repeats collapse."""

from __future__ import annotations

import hashlib


def delivery_workflow_id(delivery_id: str) -> str:
    """The ingest run of one webhook delivery (``X-GitHub-Delivery``)."""
    if not delivery_id.strip():
        raise ValueError("delivery id is empty")
    return f"delivery:{delivery_id.strip()}"


def body_sha(body: str) -> str:
    """The first 16 hex digits of the SHA-256 of an issue body (its version, for run ids)."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def spec_workflow_id(repo: str, issue: int, body: str) -> str:
    """The spec run of one version of an issue: ``spec:<owner>/<repo>#<issue>:<body-sha>``."""
    return f"spec:{_check_repo(repo)}#{_check_number(issue)}:{body_sha(body)}"


def review_prefix(repo: str, pull: int) -> str:
    """What every review run id of one pull request starts with."""
    return f"review:{_check_repo(repo)}#{_check_number(pull)}@"


def review_workflow_id(repo: str, pull: int, head_sha: str) -> str:
    """The review run of one head commit: ``review:<owner>/<repo>#<pr>@<head-sha>``."""
    if not head_sha or any(char not in "0123456789abcdef" for char in head_sha.lower()):
        raise ValueError(f"not a commit sha: {head_sha!r}")
    return f"{review_prefix(repo, pull)}{head_sha.lower()}"


def issue_partition(repo: str, issue: int) -> str:
    """The queue partition holding one issue's implementer (one at a time per issue)."""
    return f"{_check_repo(repo)}#{_check_number(issue)}"


def _check_repo(repo: str) -> str:
    owner, slash, name = repo.partition("/")
    if not slash or not owner or not name or "/" in name:
        raise ValueError(f"not an owner/repo name: {repo!r}")
    return repo


def _check_number(number: int) -> int:
    if number < 1:
        raise ValueError(f"not an issue or pull request number: {number}")
    return number
