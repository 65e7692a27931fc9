"""GitHub's OpenAPI 3.0 descriptions as JSON Schema validators for responses and webhooks."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

DATA = Path(__file__).resolve().parent.parent / "data" / "github"


def to_json_schema(node: Any) -> Any:
    """Convert OpenAPI 3.0 schema keywords to JSON Schema: ``nullable: true`` admits null.

    ``nullable`` wraps the schema in ``anyOf [schema, null]`` rather than editing ``type``,
    so that it also works next to ``$ref``, ``allOf`` and an ``enum`` that omits null
    (GitHub sends null there; see the README's known quirks).
    """
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


@cache
def components() -> dict[str, Any]:
    """Every component of the subset and the extras (the subset wins: it is the faithful one)."""
    merged: dict[str, Any] = {}
    for name in (
        "github-rest-extras.json",
        "github-webhooks-subset.json",
        "github-rest-subset.json",
    ):
        for kind, items in _load(name).get("components", {}).items():
            merged.setdefault(kind, {}).update(items)
    converted: dict[str, Any] = to_json_schema(merged)
    return converted


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    """``(METHOD, path) -> operation`` for the subset and the extras."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for name in ("github-rest-extras.json", "github-rest-subset.json"):
        for path, methods in _load(name)["paths"].items():
            for method, op in methods.items():
                if isinstance(op, dict) and "operationId" in op:
                    found[(method.upper(), path)] = op
    return found


def subset_operations() -> set[str]:
    """The operationIds of the 29-operation subset."""
    return {
        op["operationId"]
        for methods in _load("github-rest-subset.json")["paths"].values()
        for op in methods.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, _, kind, name = node["$ref"].split("/")
        node = components()[kind][name]
    return node


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of one operation's response for ``status`` (None: no JSON body)."""
    op = operations()[(method, path)]
    responses = op["responses"]
    if str(status) not in responses:
        raise KeyError(f"{op['operationId']} documents no {status} response")
    response = _deref(responses[str(status)])
    content = response.get("content", {})
    media = content.get("application/json") or content.get("application/scim+json")
    if media is None or "schema" not in media:
        return None
    return to_json_schema(media["schema"])  # type: ignore[no-any-return]


def validator(schema: dict[str, Any]) -> Draft4Validator:
    """A validator resolving ``#/components/...`` against GitHub's components."""
    return Draft4Validator({"components": components(), "allOf": [schema]})


def webhook_schema(event: str, action: str | None) -> dict[str, Any]:
    """The official body schema of a webhook ``event``/``action`` (``x-webhooks``)."""
    key = event.replace("_", "-") + (f"-{action.replace('_', '-')}" if action else "")
    for name in ("github-webhooks-subset.json", "github-rest-extras.json"):
        hooks = _load(name).get("x-webhooks", {})
        if key in hooks:
            schema = hooks[key]["post"]["requestBody"]["content"]["application/json"]["schema"]
            return to_json_schema(schema)  # type: ignore[no-any-return]
    raise KeyError(f"no official schema for webhook {key}")


def errors_of(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every validation error, as ``path: message`` lines (empty when valid)."""
    found = sorted(validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in found]
