"""The shipped examples, templates and issue form behave as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.spec import SectionKind, lint, parse_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "specs" / "examples"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (ROOT / "specs" / "examples-expected.yml").read_text(encoding="utf-8")
)
ISSUE_FORM = ROOT / ".github" / "ISSUE_TEMPLATE" / "spec.yml"


def test_every_example_has_an_expectation_in_the_right_folder() -> None:
    """Each example file is listed, and ready/not-ready folders match the verdicts."""
    files = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.md")}
    assert files == set(EXPECTED)
    for name, expected in EXPECTED.items():
        assert name.startswith("ready/") is expected["ready"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_gets_its_documented_verdict(name: str) -> None:
    """The verdict and the listed finding ids of each example."""
    verdict = lint((EXAMPLES / name).read_bytes())
    assert verdict.ready is EXPECTED[name]["ready"]
    assert set(EXPECTED[name]["ids"]) <= {f.id for f in verdict.findings}


@pytest.mark.parametrize("template", sorted((ROOT / "specs" / "templates").glob("*.md")))
def test_templates_pass_the_gate_as_shipped(template: Path) -> None:
    """Every template is ready without a single error."""
    verdict = lint(template.read_bytes())
    assert verdict.ready, [f.id for f in verdict.findings]


def render_issue_form(form: dict[str, Any], answers: dict[str, str]) -> str:
    """The issue body GitHub creates from a form: `### <label>\\n\\n<answer>` per field."""
    parts = []
    for field in form["body"]:
        if field["type"] == "markdown":
            continue  # markdown fields are shown in the form, never in the issue
        label = field["attributes"]["label"]
        answer = answers.get(field["id"], "").strip() or "_No response_"
        parts.append(f"### {label}\n\n{answer}")
    return "\n\n".join(parts)


FORM = yaml.safe_load(ISSUE_FORM.read_text(encoding="utf-8"))
ANSWERS = {
    "kind": "feature",
    "context": "The Reports page (`/reports`) and `GET /api/reports/export` in "
    "`api/reports/export.py`.",
    "current-state": "Today reports can only be viewed on screen.",
    "requirement": "Add an Export CSV button that downloads the report shown, with its filters.",
    "input": "The report id and the active filters (a date range up to 366 days).",
    "scope": "Out of scope: scheduled exports.",
    "empty-state": 'With no rows, the button is disabled with the tooltip "Nothing to export".',
    "acceptance": "- [ ] A 50,000-row report downloads within p95 ≤ 5 s.\n"
    "- [ ] The CSV header matches the column titles exactly.",
    "performance": "p95 ≤ 5 s for 50,000 rows.",
    "errors": 'If the export fails, show "The export failed, try again" and keep the filters.',
    "constraints": "",
}
EXPECTED_KINDS = {
    "kind": SectionKind.OTHER,
    "context": SectionKind.CONTEXT,
    "current-state": SectionKind.CURRENT_STATE,
    "requirement": SectionKind.REQUIREMENT,
    "input": SectionKind.INPUT,
    "scope": SectionKind.SCOPE,
    "empty-state": SectionKind.EMPTY_STATE,
    "acceptance": SectionKind.ACCEPTANCE,
    "performance": SectionKind.PERFORMANCE,
    "errors": SectionKind.ERROR_HANDLING,
    "constraints": SectionKind.TECHNICAL_CONSTRAINTS,
}


def test_issue_form_fields_are_known_and_required_ones_are_marked() -> None:
    """The form asks exactly the fields whose sections the test expects."""
    ids = [f["id"] for f in FORM["body"] if f["type"] != "markdown"]
    assert ids == list(EXPECTED_KINDS)
    required = {f["id"] for f in FORM["body"] if f.get("validations", {}).get("required")}
    assert {"context", "requirement", "acceptance", "errors"} <= required


def test_issue_form_output_parses_into_the_right_sections() -> None:
    """Each field becomes its canonical section; the unanswered one is empty."""
    spec = parse_spec(render_issue_form(FORM, ANSWERS))
    assert [s.kind for s in spec.sections] == list(EXPECTED_KINDS.values())
    constraints = spec.section(SectionKind.TECHNICAL_CONSTRAINTS)
    assert constraints is not None and constraints.no_response


def test_issue_form_filled_with_sensible_answers_passes_the_gate() -> None:
    """A sensibly filled form is ready; the unanswered optional field is an info note."""
    verdict = lint(render_issue_form(FORM, ANSWERS))
    assert verdict.ready, [(f.id, f.line) for f in verdict.findings]
    assert [f.id for f in verdict.findings if f.severity != "info"] == []
    assert [f.id for f in verdict.findings] == ["STR-004"]


def test_issue_form_kind_field_decides_the_kind() -> None:
    """The Kind dropdown is what the gate reports; every option is a kind it knows."""
    field = next(f for f in FORM["body"] if f.get("id") == "kind")
    assert field["attributes"]["options"] == ["feature", "bug", "performance", "chore"]
    for option in ("feature", "bug", "performance"):
        assert lint(render_issue_form(FORM, {**ANSWERS, "kind": option})).kind == option


def test_issue_form_left_empty_is_not_ready() -> None:
    """The form as GitHub renders it with no answers is not ready."""
    verdict = lint(render_issue_form(FORM, {}))
    assert not verdict.ready
    assert {"STR-002", "ACC-001", "STR-004"} <= {f.id for f in verdict.findings}


def test_users_readme_lists_every_section_label() -> None:
    """specs/README.md documents every alias the parser knows (accents folded)."""
    from bot.spec import ALIASES
    from bot.spec._lexicon import fold_text

    readme = fold_text((ROOT / "specs" / "README.md").read_text(encoding="utf-8"))
    readme = readme.replace("(s)", "")  # "requirement(s)" documents both forms
    for aliases in ALIASES.values():
        for alias in aliases:
            assert alias in readme or alias.rstrip("s") in readme, alias
