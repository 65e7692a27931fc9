"""The spec issue form is valid for GitHub: SchemaStore's issue-forms schema accepts it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ISSUE_FORM = ROOT / ".github" / "ISSUE_TEMPLATE" / "spec.yml"
CHECK = Path(sys.executable).parent / "check-jsonschema"


def test_issue_form_follows_schemastores_issue_forms_schema() -> None:
    """``check-jsonschema --builtin-schema vendor.github-issue-forms`` accepts the form (an
    empty ``labels: []`` is refused: labels must be absent or name at least one)."""
    result = subprocess.run(
        [str(CHECK), "--builtin-schema", "vendor.github-issue-forms", str(ISSUE_FORM)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The `spec` label starts the gate and the agents: the author adds it when the spec is
    # ready, as the form's description says, so the form carries none.
    form = yaml.safe_load(ISSUE_FORM.read_text(encoding="utf-8"))
    assert "labels" not in form
    assert "Label it `spec` when it is ready" in form["description"]
