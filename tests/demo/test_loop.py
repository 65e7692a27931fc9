"""The demo script drives the real agent runtime through the whole loop on a real checkout.

Engine-free: the planner, the implementer, the five reviewers, the follow-up round and the
responder run through ``run_agent`` with the real Anthropic adapter against the scripted model
serving ``script.yaml``, on a git checkout of the seeded repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents import (
    REVIEWER_ROLES,
    AgentOutcome,
    PriceTable,
    Role,
    UsageLedger,
    build_toolbox,
    load_role,
    run_agent,
)
from bot.agents.tools import Workspace
from bot.analysers import Analyser, BanditAnalyser, RuffAnalyser, run_analysers
from bot.demo import demo_question, demo_repo_dir, demo_script_path, demo_spec
from bot.diffs import parse_hunks, place
from bot.evidence import CriterionEvidence, TestRun, link_criteria
from bot.review import Finding, ReviewSubmission, Severity
from bot.scripted import ScriptedModelServer, start_scripted_model
from bot.spec import parse_spec
from bot.untrusted import delimit
from bot.workspace import WorkspaceConfig, detect_commands
from tests.demo.checkout import (
    commit_all,
    file_diffs,
    file_patches,
    git,
    run_suite,
    seed_checkout,
    shell_env,
    worktree_at,
)

FINDING_PATH = "invoices/csv_import.py"
MODEL = "claude-sonnet-5-5"  # the settings' default, a current model (no SDK deprecation)
RESPONDER_PROMPT = "# Role: responder\n\nAnswer the question in plain text.\n"


@dataclass
class Round:
    """One implementer round and what followed it: the suite's result, the diff, the reviews."""

    implementer: AgentOutcome
    suite_exit: int
    suite_output: str
    run: TestRun
    evidence: list[CriterionEvidence]
    patches: dict[str, str]
    reviews: dict[str, AgentOutcome] = field(default_factory=dict)

    def submission(self, reviewer: str) -> ReviewSubmission:
        """The validated ``submit_review`` input of ``reviewer`` in this round."""
        outcome = self.reviews[reviewer]
        assert outcome.status == "submitted", outcome.message
        return ReviewSubmission.model_validate(outcome.submission)


@dataclass
class Loop:
    """Everything the loop produced, for the tests to check."""

    checkout: Path
    plan: AgentOutcome
    first: Round
    second: Round
    answer: AgentOutcome
    server: ScriptedModelServer
    ledger: UsageLedger


class Agents:
    """Runs roles on one checkout with one model client, as a flow would."""

    def __init__(self, checkout: Path, model: AnthropicModel, ledger: UsageLedger) -> None:
        self.workspace = Workspace(checkout)
        self.model = model
        self.ledger = ledger

    def run(self, agent: str, role: Role, task: str, shared: str | None = None) -> AgentOutcome:
        """Run ``role`` with its toolbox on the checkout."""
        with build_toolbox(role, self.workspace, shell_timeout=60, base_env=shell_env()) as tools:
            return run_agent(
                agent=agent,
                role=role,
                task=task,
                shared_context=shared,
                call_model=self.model.complete,
                toolbox=tools,
                ledger=self.ledger,
            )

    def review(self, spec: str, patches: dict[str, str]) -> dict[str, AgentOutcome]:
        """The whole swarm in parallel over the diff and the spec."""
        shared = delimit(spec, "issue #1") + "\n\n" + "".join(patches.values())
        task = "# Review pull request #2\n\nReview the diff in the shared context against the spec."
        with ThreadPoolExecutor(max_workers=len(REVIEWER_ROLES)) as pool:
            futures = {
                name: pool.submit(self.run, f"reviewer:{name}", load_role(name), task, shared)
                for name in REVIEWER_ROLES
            }
            return {name: future.result() for name, future in futures.items()}


def _tested_round(checkout: Path, outcome: AgentOutcome, report: Path, message: str) -> Round:
    """Commit the round's work, run the suite and link the criteria, as the tester does."""
    commit_all(checkout, message)
    done, run = run_suite(checkout, report)
    criteria = [c.text for c in parse_spec(demo_spec().body).criteria]
    return Round(
        implementer=outcome,
        suite_exit=done.returncode,
        suite_output=done.stdout + done.stderr,
        run=run,
        evidence=link_criteria(criteria, run),
        patches=file_patches(checkout),
    )


def _follow_up_task(findings: list[Finding]) -> str:
    """The follow-up round's task: its marker, then the findings as untrusted review text."""
    lines = [f"- {f.path}:{f.line} ({f.severity}): {f.message}" for f in findings]
    thread = delimit("\n".join(lines), "review of pull request #2")
    return f"# Follow-up round\n\nThe review requested changes; address each one.\n\n{thread}"


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    """Plan, implement, test, review, follow up, test and review again; then ask a question."""
    root = tmp_path_factory.mktemp("demo")
    checkout = seed_checkout(demo_repo_dir(), root / "checkout")
    git(checkout, "checkout", "-q", "-b", "specbot/issue-1-import-invoice-line-items")
    server = start_scripted_model(demo_script_path())
    model = AnthropicModel(api_key="demo-key", model=MODEL, base_url=server.base_url)
    ledger = UsageLedger(PriceTable.bundled())
    agents = Agents(checkout, model, ledger)
    spec = demo_spec()
    issue = delimit(f"{spec.title}\n\n{spec.body}", "issue #1")
    try:
        plan = agents.run("planner", load_role("planner"), f"# Plan issue #1\n\n{issue}")
        task = f"# Implement the plan\n\n{json.dumps(plan.submission, indent=2)}\n\n{issue}"
        implemented = agents.run("implementer", load_role("implementer"), task)
        first = _tested_round(
            checkout, implemented, root / "first.xml", "Import line items from CSV"
        )
        first.reviews = agents.review(spec.body, first.patches)
        requested = [
            f
            for name in REVIEWER_ROLES
            for f in first.submission(name).findings
            if f.severity.rank <= Severity.MAJOR.rank
        ]
        followed = agents.run("implementer", load_role("implementer"), _follow_up_task(requested))
        second = _tested_round(
            checkout, followed, root / "second.xml", "Report bad unit prices by line"
        )
        second.reviews = agents.review(spec.body, second.patches)
        responder = Role(name="responder", prompt=RESPONDER_PROMPT, tools=())
        question = delimit(demo_question(), "comment on pull request #2")
        answer = agents.run("responder", responder, f"# Question\n\n{question}")
        yield Loop(checkout, plan, first, second, answer, server, ledger)
    finally:
        model.close()
        server.stop()


def test_the_planner_views_a_file_and_submits_a_plan_naming_files_and_criteria(loop: Loop):
    """The plan has 2 or 3 steps, each naming files, and covers the new module and its tests."""
    assert loop.plan.status == "submitted", loop.plan.message
    assert loop.plan.turns == 2
    steps = loop.plan.submission["steps"] if loop.plan.submission else []
    assert 2 <= len(steps) <= 3
    assert all(step["files"] and step["criteria"] for step in steps)
    files = {name for step in steps for name in step["files"]}
    assert {"invoices/csv_import.py", "tests/test_csv_import.py"} <= files


def test_the_implementer_edits_runs_the_tests_and_summarises(loop: Loop):
    """The implementer's session completes with a text summary after running the suite."""
    outcome = loop.first.implementer
    assert outcome.status == "completed", outcome.message
    assert outcome.final_text.startswith("Added `parse_line_items(text)`")
    results = [
        block
        for message in outcome.messages
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert results and not any(block.get("is_error") for block in results)
    assert "passed" in json.dumps(results[-1])  # the bash tool's pytest run


def test_the_first_round_passes_and_links_every_criterion(loop: Loop):
    """The checkout's own suite passes and each acceptance criterion is met by a named test."""
    assert loop.first.suite_exit == 0, loop.first.suite_output
    assert loop.first.run.ok
    assert [e.status for e in loop.first.evidence] == ["met"] * 4
    assert set(loop.first.patches) == {
        "README.md",
        "invoices/__init__.py",
        "invoices/csv_import.py",
        "tests/test_csv_import.py",
    }


def test_round_one_has_exactly_one_major_finding_on_an_added_line(loop: Loop):
    """Only the correctness reviewer reports above nit: one major finding on added lines."""
    above_nit = {
        name: [f for f in loop.first.submission(name).findings if f.severity != Severity.NIT]
        for name in REVIEWER_ROLES
    }
    assert {name: len(found) for name, found in above_nit.items() if found} == {"correctness": 1}
    finding = above_nit["correctness"][0]
    assert (finding.path, finding.line, finding.severity) == (FINDING_PATH, 38, Severity.MAJOR)
    added = set().union(*(h.added for h in parse_hunks(loop.first.patches[FINDING_PATH])))
    assert finding.end_line is not None
    assert set(range(finding.line, finding.end_line + 1)) <= added
    placement = place(finding.path, finding.line, finding.end_line, loop.first.patches)
    assert placement.inline and not placement.moved


BAD_PRICE = (
    "from invoices import parse_line_items\n"
    "parse_line_items('description,quantity,unit_price\\nWidget,2,abc\\n')"
)


def _error_for_bad_price(loop: Loop, commits_back: int, tmp_path: Path) -> str:
    """The last line of the traceback that parsing a price of "abc" gives at a commit."""
    revision, path = f"HEAD~{commits_back}", tmp_path / f"at-{commits_back}"
    with worktree_at(loop.checkout, revision, path) as checkout:
        done = subprocess.run(
            [sys.executable, "-B", "-c", BAD_PRICE],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_the_finding_is_a_real_defect_that_the_follow_up_fixes(loop: Loop, tmp_path: Path):
    """The first version lets decimal.InvalidOperation escape on line 38; the fix names the line."""
    first = git(loop.checkout, "show", f"HEAD~1:{FINDING_PATH}").splitlines()
    assert first[37].strip() == "except ValueError:"
    assert first[36].strip() == 'unit_price = Decimal(row["unit_price"])'
    assert _error_for_bad_price(loop, 1, tmp_path).startswith("decimal.InvalidOperation")
    fixed = _error_for_bad_price(loop, 0, tmp_path)
    assert fixed == "invoices.models.InvoiceError: line 2: unit_price 'abc' is not a number"


def test_the_follow_up_fixes_the_finding_with_a_test_and_the_suite_still_passes(loop: Loop):
    """The follow-up round changes only the module and its tests, adds a c3 test, and passes."""
    assert loop.second.implementer.status == "completed", loop.second.implementer.message
    assert loop.second.suite_exit == 0, loop.second.suite_output
    assert [e.status for e in loop.second.evidence] == ["met"] * 4
    names = {case.name for case in loop.second.run.cases}
    assert "test_c3_non_numeric_unit_price_names_the_line[abc]" in names
    assert len(loop.second.run.cases) == len(loop.first.run.cases) + 4
    changed = git(loop.checkout, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert changed == [FINDING_PATH, "tests/test_csv_import.py"]


@pytest.mark.parametrize("commits_back", [1, 0], ids=["round-1", "round-2"])
def test_the_analysers_find_nothing_above_nit(loop: Loop, tmp_path: Path, commits_back: int):
    """ruff and bandit, the swarm's deterministic members, find nothing above nit in a round."""
    analysers: list[Analyser] = [RuffAnalyser(), BanditAnalyser()]
    with worktree_at(loop.checkout, f"HEAD~{commits_back}", tmp_path / "round") as checkout:
        outcomes = run_analysers(analysers, checkout, file_diffs(checkout))
    assert [o.status.value for o in outcomes] == ["ok", "ok"], [o.detail for o in outcomes]
    found = [f for o in outcomes for f in o.report.submission.findings]
    assert all(f.severity == Severity.NIT for f in found), found


def test_round_two_reports_nothing_above_nit(loop: Loop):
    """Every reviewer of the second round submits, and none reports anything above a nit."""
    for name in REVIEWER_ROLES:
        findings = loop.second.submission(name).findings
        assert all(f.severity == Severity.NIT for f in findings), (name, findings)


def test_the_responder_answers_in_plain_text(loop: Loop):
    """The responder's question gets a text answer and no tool call."""
    assert loop.answer.status == "completed", loop.answer.message
    assert loop.answer.turns == 1
    assert "Blank lines are skipped because the spec asks for it" in loop.answer.final_text


def test_every_model_call_was_answered_by_a_named_turn(loop: Loop):
    """No request fell through the script, and usage was recorded for every call."""
    entries = loop.server.log.entries(path="/v1/messages")
    assert all(entry.status == 200 for entry in entries), [
        (e.turn, e.status) for e in entries if e.status != 200
    ]
    assert all(entry.turn for entry in entries)
    turns = Counter(entry.turn for entry in entries)
    assert turns["correctness-round-1-reports-invalid-operation"] == 1
    assert turns["correctness-round-2"] == 1
    assert len(loop.ledger.calls()) == len(entries)


def test_detection_makes_a_venv_with_pytest_and_installs_nothing(loop: Loop, tmp_path: Path):
    """specbot's detection sees a Python project with nothing to install: a venv and pytest."""
    plan = detect_commands(
        loop.checkout, WorkspaceConfig(), venv_dir=tmp_path / "venv", report_path=tmp_path / "r.xml"
    )
    assert plan.kind == "python"
    assert len(plan.setup) == 2, plan.setup
    assert "-m venv" in plan.setup[0]
    assert plan.setup[1].startswith("python -c 'import pytest'")
    assert plan.test is not None and plan.test.startswith("python -m pytest")


def test_the_first_round_comes_out_the_same_through_the_streaming_api(loop: Loop, tmp_path: Path):
    """Streamed replies (tool inputs as JSON deltas) leave the same tree as the first round."""
    checkout = seed_checkout(demo_repo_dir(), tmp_path / "checkout")
    server = start_scripted_model(demo_script_path())
    model = AnthropicModel(api_key="demo-key", model=MODEL, base_url=server.base_url, stream=True)
    try:
        agents = Agents(checkout, model, UsageLedger(PriceTable.bundled()))
        task = "# Implement the plan\n\nAs planned."
        outcome = agents.run("implementer", load_role("implementer"), task)
    finally:
        model.close()
        server.stop()
    assert outcome.status == "completed", outcome.message
    assert all(entry.stream for entry in server.log.entries(path="/v1/messages"))
    commit_all(checkout, "Streamed round")
    streamed_tree = git(checkout, "rev-parse", "HEAD^{tree}")
    assert streamed_tree == git(loop.checkout, "rev-parse", "HEAD~1^{tree}")
