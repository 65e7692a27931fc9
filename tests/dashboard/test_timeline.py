"""A run's events read back as its timeline, Gantt chart, costs and blackboard: lanes and bars
from start and end events, running bars up to now, failures in red, caps that say what they
left out, hostile text inert in the SVG, and only http(s) links."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.adapters.durable import EventLog, RunIndex, Usage
from bot.adapters.durable._tables import create_engine
from bot.orchestra import Event
from bot.web.dashboard._gantt import COLOURS, LABEL_WIDTH, WIDTH, gantt_svg
from bot.web.dashboard._text import safe_link
from bot.web.dashboard._timeline import MAX_BARS, build
from tests.dashboard.test_pages import BEARER, HOSTILE, dashboard_client, seeded_database

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def _events(*story: tuple[Any, ...]) -> list[tuple[int, Event]]:
    """(seconds after START, type, payload[, stage it ran in]) as the log's (seq, event)."""
    return [
        (
            seq,
            Event(
                event_id=f"e{seq}",
                event_type=told[1],
                timestamp=START + timedelta(seconds=told[0]),
                source_agent=f"spec.{told[3] if len(told) > 3 else 'implement'}",
                correlation_id="spec:acme/one#1:aaa",
                payload=told[2],
            ),
        )
        for seq, told in enumerate(story, start=1)
    ]


def _bars(svg: str) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(svg)
    return [e for e in root.iter(f"{SVG}rect") if "bar" in e.get("class", "").split()]


def _tip(bar: ElementTree.Element) -> str:
    found = bar.find(f"{SVG}title")
    return "" if found is None or found.text is None else found.text


def test_a_lane_per_stage_and_agent_with_bars_from_their_events() -> None:
    """Two stages and an agent: three lanes, bars placed by their times, a legend."""
    timeline = build(
        _events(
            (0, "stage.started", {"stage": "plan", "attempt": 1}),
            (1, "agent.started", {"agent": "planner", "role": "planner"}),
            (2, "model.response", {"agent": "planner", "cost_usd": 0.25}, "plan"),
            (3, "model.response", {"agent": "planner", "cost_usd": 0.5}, "plan"),
            (9, "agent.finished", {"agent": "planner", "status": "submitted", "turns": 3}),
            (10, "stage.finished", {"stage": "plan", "attempt": 1, "seconds": 10}),
            (10, "stage.started", {"stage": "implement", "attempt": 1}),
            (40, "stage.finished", {"stage": "implement", "attempt": 1, "seconds": 30}),
        )
    )
    svg = gantt_svg(timeline.bars, START + timedelta(seconds=40), "chart", running=False)
    root = ElementTree.fromstring(svg)
    lanes = [e.text for e in root.iter(f"{SVG}text") if e.get("class") == "lane"]
    assert lanes == ["stage: plan", "agent: planner", "stage: implement"]
    bars = _bars(svg)
    assert [_tip(bar) for bar in bars] == [
        "stage plan: 10.0 s, done, $0.7500",
        "agent planner: 8.0 s, done, $0.7500",
        "stage implement: 30.0 s, done",
    ]
    costs = [(e.get("y"), e.text) for e in root.iter(f"{SVG}text") if e.get("class") == "cost"]
    assert [text for _, text in costs] == ["$0.7500", "$0.7500"]  # the plan and planner lanes
    scale = (WIDTH - LABEL_WIDTH - 20) / 40
    implement = bars[2]
    assert float(implement.get("x", "0")) == pytest.approx(LABEL_WIDTH + 10 * scale, abs=0.1)
    assert float(implement.get("width", "0")) == pytest.approx(30 * scale, abs=0.1)
    assert [bar.get("fill") for bar in bars] == [
        COLOURS["stage"],
        COLOURS["agent"],
        COLOURS["stage"],
    ]
    legend = [e.text for e in root.iter(f"{SVG}text") if e.get("class") == "legend"]
    assert legend == list(COLOURS)
    assert root.get("role") == "img" and root.find(f"{SVG}title") is not None


def test_an_agent_without_an_end_runs_to_now_and_a_finished_run_ends_it() -> None:
    """While the run runs, an open bar reaches ``until`` (now) and says running; once the run
    ended, it stops at the run's end and says no end was recorded."""
    timeline = build(
        _events(
            (0, "stage.started", {"stage": "implement"}),
            (5, "agent.started", {"agent": "implementer"}),
        )
    )
    now = START + timedelta(seconds=65)
    [stage, agent] = _bars(gantt_svg(timeline.bars, now, "chart"))
    right = float(agent.get("x", "0")) + float(agent.get("width", "0"))
    assert right == pytest.approx(WIDTH - 20, abs=0.1)  # the chart's right edge: now
    assert _tip(agent) == "agent implementer: 60.0 s, running"
    assert _tip(stage) == "stage implement: 65.0 s, running"
    assert agent.get("fill") == COLOURS["running"]
    ended = _bars(gantt_svg(timeline.bars, START + timedelta(seconds=20), "c", running=False))
    assert _tip(ended[1]) == "agent implementer: 15.0 s, no end recorded"


def test_failures_are_red_with_their_reasons_and_retries_say_why() -> None:
    """A failed stage and an agent out of turns are red bars and failure entries with the
    reason; a retry, a pacing wait and a cut-off say what happened."""
    timeline = build(
        _events(
            (0, "stage.started", {"stage": "implement"}),
            (1, "agent.started", {"agent": "implementer"}),
            (2, "model.retry", {"agent": "implementer", "attempt": 2, "status": 529,
                                "error_type": "overloaded_error", "delay_seconds": 1.5}),
            (3, "model.paced", {"agent": "implementer", "seconds": 2.25}),
            (4, "model.cut_off", {"agent": "implementer", "turn": 3, "max_tokens": 4096,
                                  "raised_to": 8192}),
            (5, "agent.finished", {"agent": "implementer", "status": "turn_limit", "turns": 40,
                                   "message": "40 turns used"}),
            (6, "stage.failed", {"stage": "implement", "reason": "tests still fail"}),
        )
    )  # fmt: skip
    failures = [(e.title, e.detail) for e in timeline.entries if e.kind == "failure"]
    assert failures == [
        ("implementer finished: turn_limit after 40 turn(s)", "40 turns used"),
        ("stage implement failed", "tests still fail"),
    ]
    retries = [e.detail for e in timeline.entries if e.kind == "retry"]
    assert retries == [
        "attempt 2: 529 overloaded_error, again in 1.5 s",
        "waited 2.2 s for the rate limit",
        "turn 3 hit 4096 output tokens; asked again with 8192",
    ]
    bars = _bars(gantt_svg(timeline.bars, START + timedelta(seconds=6), "c", running=False))
    assert [bar.get("fill") for bar in bars] == [COLOURS["failed"]] * 2
    assert all(_tip(bar).endswith("failed") for bar in bars)


def test_costs_by_role_and_model_add_up_with_cached_tokens() -> None:
    """Calls, tokens (cache reads and writes counted as input) and dollars per role and model."""
    usage = {"input_tokens": 100, "output_tokens": 10, "cache_read_input_tokens": 1000,
             "cache_creation_input_tokens": 50}  # fmt: skip
    calls = [("planner", "m-big", 0.25), ("implementer", "m-big", 0.5), ("implementer", "m-s", 1.0)]
    timeline = build(
        _events(
            *[
                (n, "model.response", {"agent": r, "role": r, "model": m, "usage": usage,
                                       "cost_usd": usd})
                for n, (r, m, usd) in enumerate(calls)
            ]
        )
    )  # fmt: skip
    assert timeline.costs.by_role == {
        "planner": [1, 1150, 10, 0.25],
        "implementer": [2, 2300, 20, 1.5],
    }
    assert timeline.costs.by_model == {"m-big": [2, 2300, 20, 0.75], "m-s": [1, 1150, 10, 1.0]}
    assert timeline.costs.total_usd == pytest.approx(1.75)
    assert [e.tokens for e in timeline.entries] == ["1,150 in / 10 out"] * 3


def test_the_blackboard_groups_tasks_rounds_and_findings_by_reviewer() -> None:
    """Tasks and every round's contribution under their reviewer (a later round's "name (round
    2)" under the same name), the merged findings, who is missing, the synthesis."""
    task = {
        "agent": "security",
        "payload": {
            "objective": "Review the api area of #2.",
            "context": {"files": ["api/a.py", "api/b.py"]},
        },
    }
    finding = {"path": "api/a.py", "line": 4, "severity": "major", "kind": "injection"}
    timeline = build(
        _events(
            (0, "review.task", task),
            (1, "review.contribution", {"agent": "security", "iteration": 1, "confidence": 0.8,
                                        "verdict": "REQUEST_CHANGES", "listed": [finding]}),
            (2, "review.contribution", {"agent": "style", "iteration": 1, "listed": []}),
            (3, "review.contribution", {"agent": "security (round 2)", "iteration": 2,
                                        "verdict": "COMMENT", "listed": []}),
            (4, "review.merged", {"findings": [{"path": "api/a.py", "reviewers": ["security"]}],
                                  "missing": ["perf: failed: timed out"]}),
            (5, "review.synthesis", {"event": "REQUEST_CHANGES", "findings": 1,
                                     "rule": "majority", "reason": "2 of 3 agree"}),
        )
    )  # fmt: skip
    board = timeline.blackboard
    assert list(board["reviewers"]) == ["security", "style"]
    security = board["reviewers"]["security"]
    assert security["tasks"] == [
        {"objective": "Review the api area of #2.", "files": ["api/a.py", "api/b.py"]}
    ]
    assert [(r["round"], r["verdict"], r["confidence"]) for r in security["rounds"]] == [
        (1, "REQUEST_CHANGES", "80%"),
        (2, "COMMENT", ""),
    ]
    assert security["rounds"][0]["findings"] == [
        {"where": "api/a.py:4", "severity": "major", "kind": "injection"}
    ]
    assert board["merged"] == [{"path": "api/a.py", "reviewers": "security"}]
    assert board["missing"] == ["perf: failed: timed out"]
    assert board["synthesis"]["rule"] == "majority"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://github.example/acme/one/pull/2", True),
        ("http://localhub:8080/acme/one/issues/1", True),
        ("javascript:alert(1)", False),
        ("  JAVASCRIPT:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("https://ok.example/\nx", False),
        ("data:text/html,<b>", False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/x", False),
        ("https:///no-host", False),
        (None, False),
        (42, False),
    ],
)
def test_only_http_links_are_kept(url: object, kept: bool) -> None:
    """A GitHub write's link is shown only for an http(s) address with a host."""
    assert (safe_link(url) is not None) is kept


def test_hostile_names_stay_text_in_the_svg() -> None:
    """A stage and agent named with markup, ``</svg>``, quotes and control characters: the SVG
    parses, has no script and no handler, and the names are text in titles."""
    name = HOSTILE + '"/><script>alert(9)</script><a href="javascript:x">'
    timeline = build(
        _events(
            (0, "stage.started", {"stage": name}),
            (1, "agent.started", {"agent": name}),
        )
    )
    svg = gantt_svg(timeline.bars, START + timedelta(seconds=3), title=name)
    root = ElementTree.fromstring(svg)  # one well-formed document: nothing closed it early
    everything = list(root.iter())
    tags = {e.tag.removeprefix(SVG) for e in everything}
    assert tags <= {"svg", "title", "desc", "text", "rect", "line"}
    assert not [a for e in everything for a in e.attrib if a.lower().startswith("on")]
    assert not [a for e in everything for a in e.attrib if "href" in a]
    titles = [e.text or "" for e in everything if e.tag == f"{SVG}title"]
    assert any("<script>alert(9)</script>" in title for title in titles)
    assert "\x1b" not in svg


def test_the_chart_draws_at_most_its_cap_and_says_how_many_it_left_out(tmp_path: Path) -> None:
    """A run with more stage attempts than the cap: the chart draws the cap, says how many it
    did not, and so does the page."""
    database = seeded_database(tmp_path)
    tables = create_engine(database)
    run_id = "spec:acme/one#3:ccc"
    log = EventLog(tables)
    for n in range(MAX_BARS + 25):
        for kind in ("stage.started", "stage.finished"):
            log.append(
                Event(
                    event_type=kind,
                    timestamp=START + timedelta(seconds=n),
                    source_agent="spec.test",
                    correlation_id=run_id,
                    payload={"stage": f"s{n % 7}", "attempt": n},
                )
            )
    RunIndex(tables).finished(run_id, "failed", "", Usage())
    tables.dispose()
    client = dashboard_client(database)
    svg = client.get(f"/runs/{quote(run_id, safe='')}/timeline.svg", headers=BEARER).text
    assert len(_bars(svg)) == MAX_BARS
    root = ElementTree.fromstring(svg)
    notes = [e.text for e in root.iter(f"{SVG}text") if e.get("class") == "note"]
    assert notes == ["25 more bars are not drawn."]
    page = client.get(f"/runs/{quote(run_id, safe='')}", headers=BEARER).text
    assert "25 more are not drawn" in page
