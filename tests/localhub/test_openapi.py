"""The OpenAPI 3.0 -> JSON Schema conversion the conformance tests rely on."""

from __future__ import annotations

from tests.localhub.openapi import errors_of, to_json_schema


def test_nullable_admits_null_next_to_a_type() -> None:
    """A nullable string accepts null and strings, and still rejects numbers."""
    schema = to_json_schema({"type": "string", "nullable": True})
    assert errors_of(schema, None) == []
    assert errors_of(schema, "x") == []
    assert errors_of(schema, 3) != []


def test_nullable_admits_null_when_the_enum_omits_it() -> None:
    """GitHub's ``nullable`` enums (a suite's conclusion) accept null but not other strings."""
    schema = to_json_schema({"type": "string", "enum": ["success"], "nullable": True})
    assert errors_of(schema, None) == []
    assert errors_of(schema, "failure") != []


def test_nullable_works_beside_a_reference() -> None:
    """A nullable ``$ref`` accepts null and otherwise validates against the referenced schema."""
    schema = to_json_schema(
        {"nullable": True, "allOf": [{"$ref": "#/components/schemas/simple-user"}]}
    )
    assert errors_of(schema, None) == []
    assert errors_of(schema, {"login": "x"}) != []


def test_non_nullable_schemas_are_unchanged() -> None:
    """Schemas without ``nullable`` keep every keyword and still reject null."""
    original = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert to_json_schema(original) == original
    assert errors_of(original, None) != []
