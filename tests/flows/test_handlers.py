"""The flows' handlers alone, on GitHub's example payloads, against recording fakes of the
GitHub and engine ports: who may trigger, what is posted, what starts, what each costs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.adapters.git import GitWorkspaces
from bot.agents import ModelRequest, ModelResponse
from bot.config import load_repo_config
from bot.flows import Services, router
from bot.flows import _event_flows as event_flows
from bot.flows import _spec_stages as stages
from bot.flows._commands import HELP, REVIEWS_OFF
from bot.flows._context import DeliveryContext, JobContext
from bot.flows._escalation import may_fix, settle_findings, start_escalation
from bot.flows._jobs import FollowUpJob, OpenFinding
from bot.flows._runs import followup_prefix, rounds_so_far
from bot.flows._stage import StageTools
from bot.flows._state import SpecRun
from bot.orchestra import Event as OrchestraEvent
from bot.orchestra import InMemoryCheckpoints, StageContext
from bot.ports import IssueInfo, PullInfo
from bot.review import Finding, MergedFinding, Severity
from bot.settings import Settings
from bot.webhooks import Event
from bot.work import Team
from tests.flows.fake_github import FakeGitHub, FakeRuns
from tests.flows.stack_fixtures import READY_SPEC
from tests.web.conftest import example

REPO = "acme/widgets"
INSTALLATION = 7
CONFIG = ".github/specbot.yml"


def _refuse_model(request: ModelRequest) -> ModelResponse:
    raise AssertionError("a handler called the model")


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub(full_name=REPO, permissions={"alice": "write", "bob": "read"})


@pytest.fixture
def runs() -> FakeRuns:
    return FakeRuns()


def _pull(number: int, **fields: Any) -> PullInfo:
    """An open pull request from a branch of this repository into main."""
    base = {"title": "t", "body": "", "base_ref": "main", "state": "open", "html_url": ""}
    return PullInfo(number=number, from_fork=False, **{**base, **fields})


def _services(tmp_path: Path, github: FakeGitHub, runs: FakeRuns, **settings: str) -> Services:
    """Services over the fakes, with ``settings`` (environment names) on top."""
    return Services(
        settings=Settings.model_validate({"SPECBOT_DATA_DIR": str(tmp_path), **settings}),
        repo_for=lambda repo, installation: github,
        runs=runs,
        call_model=_refuse_model,
        workspaces=GitWorkspaces(tmp_path / "work"),
    )


@pytest.fixture
def services(tmp_path: Path, github: FakeGitHub, runs: FakeRuns) -> Iterator[Services]:
    made = _services(tmp_path, github, runs)
    yield made
    made.close()


def _payload(event: str, name: str, sender: str = "alice", kind: str = "User") -> dict[str, Any]:
    """GitHub's example, moved to our repository and installation, sent by ``sender``."""
    payload: dict[str, Any] = json.loads(example(event, name))
    payload["repository"]["full_name"] = REPO
    payload["installation"] = {"id": INSTALLATION}
    payload["sender"].update(login=sender, type=kind)
    return payload


def _deliver(services: Services, event: str, payload: dict[str, Any]) -> None:
    """Dispatch one delivery as the ingest run does."""
    delivered = Event(name=event, delivery_id="d-1", payload=payload)
    stage = StageContext(run_id="delivery:d-1", pipeline="ingest", stage="dispatch", index=0)
    router.dispatch(delivered, DeliveryContext.of(services, delivered, stage))


def _labeled(sender: str = "alice", kind: str = "User", label: str = "spec") -> dict[str, Any]:
    payload = _payload("issues", "labeled.payload.json", sender, kind)
    payload["label"]["name"] = label
    payload["issue"].update(number=5, title="Sizes", body="The spec.")
    return payload


def test_a_writers_label_starts_one_spec_run_reading_the_configuration_once(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "issues", _labeled())
    [started] = runs.started
    assert started.pipeline == "spec" and started.queue == "implement"
    assert started.workflow_id.startswith(f"spec:{REPO}#5:")
    assert started.partition == f"{REPO}#5"
    assert (started.data["title"], started.data["body"]) == ("Sizes", "The spec.")
    assert github.writes == [("react_to_issue", (5, "eyes"))]
    assert github.called("read_file") == [(CONFIG, None)]


def test_a_readers_label_gets_one_polite_reply_ever_and_no_run(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "issues", _labeled(sender="bob"))
    _deliver(services, "issues", _labeled(sender="bob"))
    assert runs.started == []
    [(number, body)] = github.called("create_comment")
    assert number == 5 and "@bob" in body and "write access" in body


def test_a_repository_can_silence_the_reply(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    github.files[CONFIG] = "triggers:\n  reply_to_unauthorised: false\n"
    _deliver(services, "issues", _labeled(sender="bob"))
    assert runs.started == [] and github.writes == []


def test_a_bot_is_ignored_unless_the_repository_allows_it(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "issues", _labeled(sender="renovate[bot]", kind="Bot"))
    assert runs.started == [] and github.writes == []
    assert github.called("permission") == [], "a bot's permission is never asked"
    github.files[CONFIG] = "triggers:\n  allow_bots: ['renovate[bot]']\n"
    _deliver(services, "issues", _labeled(sender="renovate[bot]", kind="Bot"))
    assert len(runs.started) == 1


def test_specbots_own_label_starts_nothing(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "issues", _labeled(sender="specbot[bot]", kind="Bot"))
    assert runs.started == [] and github.writes == []


def test_another_label_or_the_configured_one(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "issues", _labeled(label="bug"))
    assert runs.started == [] and github.writes == []
    github.files[CONFIG] = "triggers:\n  label: build-me\n"
    _deliver(services, "issues", _labeled(label="build-me"))
    assert len(runs.started) == 1


def test_a_payload_that_lacks_a_field_is_ignored_with_one_line_naming_it(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    payload = _labeled()
    del payload["issue"]["number"]
    with capture_logs() as logs:
        _deliver(services, "issues", payload)
    assert github.calls == [] and runs.started == []
    [line] = [entry for entry in logs if entry["event"] == "ignored: the payload does not fit"]
    assert line["field"] == "issue.number" and line["handler"] == "on_labeled"


def test_a_delivery_without_installation_costs_no_call(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    payload = _labeled()
    del payload["installation"]
    _deliver(services, "issues", payload)
    assert github.calls == [] and runs.started == []


def test_a_title_only_edit_starts_nothing(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    payload = _payload("issues", "edited.payload.json")
    payload["changes"] = {"title": {"from": "Old"}}
    _deliver(services, "issues", payload)
    assert github.calls == [] and runs.started == []


def _opened(branch: str, *, fork: bool = False) -> dict[str, Any]:
    payload = _payload("pull_request", "opened.payload.json")
    pull = payload["pull_request"]
    pull.update(number=9, state="open")
    pull["head"].update(ref=branch, sha="a" * 40)
    if fork:
        pull["head"]["repo"] = {"id": 999, "full_name": "mallory/widgets"}
    else:
        pull["head"]["repo"] = dict(pull["base"]["repo"])
    return payload


def test_specbots_pull_request_is_reviewed_at_its_head_commit(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    github.commit_messages["a" * 40] = "Implements #5\n\nSpecbot-Run: spec:acme/widgets#5:x"
    _deliver(services, "pull_request", _opened("specbot/issue-5-sizes"))
    [started] = runs.started
    assert started.pipeline == "review" and started.queue == "review"
    assert started.workflow_id == f"review:{REPO}#9@{'a' * 40}"
    assert github.writes == []


def test_a_push_without_specbots_trailer_gets_only_its_criteria_check(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "pull_request", _opened("specbot/issue-5-sizes"))
    [started] = runs.started
    assert started.pipeline == "criteria"
    assert started.workflow_id.endswith("/criteria")


def test_a_forks_pull_request_on_a_specbot_branch_is_refused_once(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "pull_request", _opened("specbot/issue-5-sizes", fork=True))
    _deliver(services, "pull_request", _opened("specbot/issue-5-sizes", fork=True))
    assert runs.started == []
    [(number, body)] = github.called("create_comment")
    assert number == 9 and "fork" in body


def _command(text: str, *, on_pull: bool = False, sender: str = "alice") -> dict[str, Any]:
    payload = _payload("issue_comment", "created.payload.json", sender)
    payload["issue"].update(number=5, title="Sizes", body="The spec.")
    payload["issue"]["pull_request"] = {"url": "x"} if on_pull else None
    payload["comment"].update(id=77, body=text)
    return payload


def _replies(github: FakeGitHub) -> list[str]:
    return [body for _number, body in github.called("create_comment")]


def test_status_where_nothing_ran(services: Services, github: FakeGitHub) -> None:
    _deliver(services, "issue_comment", _command("/specbot status"))
    assert _replies(github) == ["specbot has not run here yet."]
    assert ("react_to_comment", (77, "eyes")) in github.writes


def test_an_unknown_verb_gets_the_help(services: Services, github: FakeGitHub) -> None:
    _deliver(services, "issue_comment", _command("/specbot dance"))
    assert _replies(github) == [HELP]


@pytest.mark.parametrize(
    ("text", "on_pull", "says"),
    [
        ("/specbot waive 1 flaky", False, "works on specbot's pull requests, not on issues"),
        ("/specbot approve", True, "works on issues, not on pull requests"),
        ("/specbot explain", True, "works on issues, not on pull requests"),
    ],
)
def test_a_verb_in_the_wrong_place_says_where_it_works(
    services: Services, github: FakeGitHub, text: str, on_pull: bool, says: str
) -> None:
    _deliver(services, "issue_comment", _command(text, on_pull=on_pull))
    [reply] = _replies(github)
    assert says in reply and reply.endswith(HELP)


def test_cancel_stops_the_active_runs_of_the_issue(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    runs.statuses.update({f"spec:{REPO}#5:abc": "PENDING", f"spec:{REPO}#5:old": "SUCCESS"})
    _deliver(services, "issue_comment", _command("/specbot cancel"))
    assert runs.cancelled == [f"spec:{REPO}#5:abc"]
    assert "Cancelled 1 run(s)." in _replies(github)


def test_a_readers_command_is_refused_and_not_obeyed(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    runs.statuses[f"spec:{REPO}#5:abc"] = "PENDING"
    _deliver(services, "issue_comment", _command("/specbot cancel", sender="bob"))
    assert runs.cancelled == []
    [reply] = _replies(github)
    assert "@bob" in reply and "write access" in reply


def test_explain_reads_the_configuration_once_for_both_comment_handlers(
    services: Services, github: FakeGitHub
) -> None:
    github.issues[5] = IssueInfo(
        number=5,
        title="Sizes",
        body="The spec.",
        author="alice",
        labels=(),
        state="open",
        html_url="",
    )
    _deliver(services, "issue_comment", _command("/specbot explain"))
    [reply] = _replies(github)
    assert "score" in reply.lower()
    assert github.called("read_file") == [(CONFIG, None)]


def test_rerun_of_another_check_is_ignored(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    payload = _payload("check_run", "rerequested.payload.json")
    payload["check_run"]["name"] = "ci/lint"
    _deliver(services, "check_run", payload)
    assert github.calls == [] and runs.started == []


def test_rerun_of_specbots_check_reviews_that_commit_again(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    payload = _payload("check_run", "rerequested.payload.json")
    check = payload["check_run"]
    check.update(name="specbot/review", id=31, head_sha="b" * 40)
    check["pull_requests"] = [{"number": 9}]
    github.pulls[9] = _pull(9, head_ref="feature", head_sha="b" * 40)
    _deliver(services, "check_run", payload)
    [started] = runs.started
    assert started.workflow_id == f"review:{REPO}#9@{'b' * 40}/rerun-31"


# -- the repository's settings in force ----------------------------------------------------------


def test_by_default_a_persons_pull_request_costs_one_configuration_read(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "pull_request", _opened("feature/sizes"))
    assert github.calls == [("read_file", (CONFIG, None))] and runs.started == []


def test_review_auto_collaborators_reviews_a_writers_push(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    github.files[CONFIG] = "review:\n  auto: collaborators\n"
    payload = _opened("feature/sizes")
    payload_comments = payload["pull_request"]["review_comments"]
    _deliver(services, "pull_request", payload)
    [started] = runs.started
    assert started.pipeline == "review"
    assert started.workflow_id == f"review:{REPO}#9@{'a' * 40}"
    # the base is the default branch: the review gets the configuration read here, and the
    # pull request as the payload has it (no comments yet on an opened one)
    assert started.data["config"]["review"]["auto"] == "collaborators"
    assert started.data["pull_info"]["head_ref"] == "feature/sizes"
    assert started.data["no_review_comments"] is (payload_comments == 0)
    assert github.calls == [("read_file", (CONFIG, None))], "nothing else is asked"


def test_review_auto_collaborators_skips_bots_and_forks_quietly(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    """Only a writer can push a branch of the repository, so no permission is asked; a bot's
    pull request needs ``triggers.allow_bots``, a fork's a writer's request."""
    github.files[CONFIG] = "review:\n  auto: collaborators\n"
    payload = _opened("deps/bump")
    payload["sender"].update(login="renovate[bot]", type="Bot")
    _deliver(services, "pull_request", payload)
    _deliver(services, "pull_request", _opened("feature/sizes", fork=True))
    assert runs.started == [] and github.writes == []
    assert github.called("permission") == []
    github.files[CONFIG] += "triggers:\n  allow_bots: ['renovate[bot]']\n"
    _deliver(services, "pull_request", payload)
    assert [s.pipeline for s in runs.started] == ["review"]


def test_review_auto_request_leaves_even_specbots_push_to_a_person(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    github.files[CONFIG] = "review:\n  auto: request\n"
    github.commit_messages["a" * 40] = "Implements #5\n\nSpecbot-Run: spec:acme/widgets#5:x"
    _deliver(services, "pull_request", _opened("specbot/issue-5-sizes"))
    [started] = runs.started
    assert started.pipeline == "criteria", "the criteria check still follows the head commit"


def test_reviews_turned_off(services: Services, github: FakeGitHub, runs: FakeRuns) -> None:
    """``flows.review.enabled: false``: no review on a push, on request or on Re-run."""
    github.files[CONFIG] = "flows:\n  review:\n    enabled: false\n"
    github.commit_messages["a" * 40] = "Implements #5\n\nSpecbot-Run: spec:acme/widgets#5:x"
    _deliver(services, "pull_request", _opened("specbot/issue-5-sizes"))
    assert [s.pipeline for s in runs.started] == ["criteria"]
    _deliver(services, "issue_comment", _command("/specbot review", on_pull=True))
    assert _replies(github) == [REVIEWS_OFF]
    rerun = _payload("check_run", "rerequested.payload.json")
    rerun["check_run"].update(name="specbot/review", id=31, head_sha="b" * 40)
    rerun["check_run"]["pull_requests"] = [{"number": 9}]
    _deliver(services, "check_run", rerun)
    assert [s.pipeline for s in runs.started] == ["criteria"]


def _changes_requested() -> dict[str, Any]:
    payload = _payload("pull_request_review", "submitted.payload.json")
    payload["review"].update(state="changes_requested", id=55, body="Please fix.")
    payload["pull_request"]["number"] = 9
    return payload


def test_a_persons_review_requesting_changes_starts_a_round(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    _deliver(services, "pull_request_review", _changes_requested())
    [started] = runs.started
    assert (started.pipeline, started.workflow_id) == ("follow-up", f"follow-up:{REPO}#9/review-55")
    assert started.data["threads"][0]["text"] == "review: Please fix."


def test_follow_up_rounds_turned_off(
    services: Services, github: FakeGitHub, runs: FakeRuns
) -> None:
    github.files[CONFIG] = "flows:\n  follow-up: null\n"
    _deliver(services, "pull_request_review", _changes_requested())
    assert runs.started == [] and github.writes == []


def test_a_flows_time_box_caps_the_runs_time(tmp_path: Path, github: FakeGitHub) -> None:
    services = _services(tmp_path, github, FakeRuns(), SPECBOT_RUN_MAX_SECONDS="300")
    assert services.team(time_box_seconds=60).budget.max_seconds == 60
    assert services.team(time_box_seconds=900).budget.max_seconds == 300
    assert services.team().budget.max_seconds == 300


def _spec_run() -> SpecRun:
    return SpecRun(
        run_id=f"spec:{REPO}#5:abc",
        repo=REPO,
        installation_id=INSTALLATION,
        issue=5,
        title="Sizes",
        body=READY_SPEC,
        branch="specbot/issue-5-sizes",
        tracking_key="k",
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_implementation_turned_off_stops_the_run_after_a_ready_gate(
    services: Services, github: FakeGitHub, enabled: bool
) -> None:
    github.files[CONFIG] = f"flows:\n  implement:\n    enabled: {str(enabled).lower()}\n"
    stage = StageContext(run_id=f"spec:{REPO}#5:abc", pipeline="spec", stage="gate", index=0)
    tools = StageTools(services, github, services.team(), stage)
    after = stages.gate(tools, _spec_run())
    assert after.ready is True
    assert [args[2] for args in github.called("set_status")] == ["success"]
    assert after.stopped is not enabled
    assert ("Implementation is turned off" in after.outcome) is not enabled


def test_questions_and_escalations_are_not_counted_as_rounds(
    services: Services, runs: FakeRuns
) -> None:
    """Only fixing rounds count toward max_rounds: an answered question or an escalation
    does not use one up."""
    prefix = followup_prefix(REPO, 7)
    for trigger in ("review-1", "c55", "q56", "settle-2-lead", "settle-lead-after-x"):
        runs.statuses[f"{prefix}{trigger}"] = "SUCCESS"
    assert rounds_so_far(services, REPO, 7) == 2


def test_an_escalation_goes_to_the_first_agent_above_the_implementer(
    services: Services, runs: FakeRuns
) -> None:
    """With the hierarchy chosen, the spent rounds' findings go to the lead with the chain
    above it; with the pipeline, or a depth limit of 0, nobody is above: a person."""
    finding = Finding(
        path="a.py", line=2, severity=Severity.MINOR, category="style", message="m", confidence=1
    )
    merged = [MergedFinding(finding=finding, reviewers=("style",), fingerprint="f")]
    job = FollowUpJob(repo=REPO, installation_id=1, pull=7, round=3)
    chain = "agents:\n  lead:\n    escalates_to: chief\n  chief:\n    role: the chief\n"
    hierarchy = load_repo_config(f"flows:\n  follow-up:\n    pattern: hierarchy\n{chain}")
    step = start_escalation(services, job, hierarchy, merged, 9)
    assert step is not None and "`lead`" in step
    [started] = runs.started
    assert started.workflow_id.endswith("/settle-9-lead")
    assert started.data["settle_by"] == "lead" and started.data["above"] == ["chief"]
    assert started.data["open_findings"][0]["severity"] == "minor"
    assert start_escalation(services, job, load_repo_config(chain), merged, 9) is None
    shallow = load_repo_config(
        f"flows:\n  follow-up:\n    pattern: hierarchy\nmax_escalation_depth: 0\n{chain}"
    )
    assert start_escalation(services, job, shallow, merged, 9) is None
    assert len(runs.started) == 1
    assert may_fix(hierarchy) and may_fix(load_repo_config(""))
    no_rounds = "agents:\n  implementer:\n    authority: []\n"
    assert not may_fix(
        load_repo_config(f"flows:\n  follow-up:\n    pattern: hierarchy\n{no_rounds}")
    )
    assert may_fix(load_repo_config(no_rounds))  # a pipeline reads no authority


def test_a_restarted_escalation_reuses_its_decisions_and_hands_on_once(
    services: Services, github: FakeGitHub, runs: FakeRuns, tmp_path: Path
) -> None:
    """The lead's decisions kept by an earlier start are used as they are (no model call: the
    model here refuses every request); what it may not accept goes to the next agent in a run
    named after this escalation, once however often the stage starts; one comment is posted."""
    config = load_repo_config(
        "flows:\n  follow-up:\n    pattern: hierarchy\n"
        "agents:\n  lead:\n    escalates_to: chief\n  chief:\n    role: the chief\n"
    )
    findings = [
        OpenFinding(path="a.py", line=1, severity="major", kind="correctness", message="bad"),
        OpenFinding(path="a.py", line=9, severity="nit", kind="style", message="name"),
    ]
    run_id = f"{followup_prefix(REPO, 7)}settle-9-lead"
    job = FollowUpJob(
        repo=REPO, installation_id=1, pull=7, round=3, settle_by="lead", above=["chief"]
    ).model_copy(update={"open_findings": findings})
    checkpoints = InMemoryCheckpoints()
    checkpoints.keep("decisions", {"decisions": [[False, "needs a fix"], [True, "a nit"]]})
    stage = StageContext(run_id=run_id, pipeline="follow-up", stage="follow-up", index=0)
    context = JobContext(services, github, replace(stage, members=checkpoints), None)
    pull = _pull(7, head_ref="specbot/issue-1-x", head_sha="0" * 40)
    for _ in range(2):  # a stage started again after the comment was posted does nothing
        done = settle_findings(
            context, Team(call_model=_refuse_model, model_name="m"), tmp_path, job, pull, config
        )
    assert done.outcome == "settled"
    [handed] = runs.started
    assert handed.workflow_id == f"{run_id}-chief"
    assert [f["severity"] for f in handed.data["open_findings"]] == ["major"]
    [comment] = github.conversation[7]
    accepted, rest = comment.body.split("Not accepted:")
    assert "a nit" in accepted and "needs a fix" in rest and "went up to `chief`" in rest


def test_one_failing_event_flow_does_not_keep_the_others_from_answering(
    services: Services, github: FakeGitHub
) -> None:
    """The first flow fails (its pull request cannot be read); the second, which answered
    before, is still visited and finds its answer; the delivery then fails with the first
    flow's error, so a retry does the first flow's work again."""
    github.files[CONFIG] = (
        "agents:\n  helper:\n    role: helps\n"
        "flows:\n"
        "  a-first:\n    pattern: events\n    triggers: [review.completed]\n"
        "    agents: [helper]\n"
        "  b-second:\n    pattern: events\n    triggers: [review.completed]\n"
        "    agents: [helper]\n"
    )
    payload = {"event_flows": True, "repository": REPO, "installation_id": 1, "pull": 7}
    event = OrchestraEvent(event_type="review.completed", source_agent="test", payload=payload)
    second = event_flows.MARKER.format(flow="b-second", event_id=event.event_id)
    github.create_comment(7, f"{second}\nanswered before")
    with pytest.raises(KeyError):
        event_flows.subscription(services).handler(event)
    looked = [marker for _, marker in github.called("find_own_comment")]
    assert looked == [
        event_flows.MARKER.format(flow="a-first", event_id=event.event_id),
        second,
    ]
