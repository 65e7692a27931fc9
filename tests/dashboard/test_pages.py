"""The dashboard's pages over a real SQLite database: the list, one run, its SVG timeline and
its live stream; who sees what; and hostile text from agents kept inert."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from bot.adapters.durable import EngineClient, EngineSettings, EventLog, RunIndex, Usage
from bot.adapters.durable._tables import create_engine
from bot.orchestra import Event
from bot.run_links import run_signature
from bot.settings import Settings
from bot.web.dashboard import Viewer, build_access, dashboard_router

SECRET = "dashboard-secret-0123456789"
WEBHOOK_SECRET = "pages-webhook-secret"
BEARER = {"Authorization": f"Bearer {SECRET}", "Accept": "text/html"}
HOSTILE = (
    "<script>alert(1)</script></svg><img src=x onerror=alert(2)>{{7*7}}\x1b[31m"
    '<style>*{display:none}</style>" style="color:red" onmouseover="alert(5)'
)
BAD_LINKS = ("javascript:alert(3)", " JaVaScRiPt:alert(4)", "java\tscript:alert(6)",
             "data:text/html,<script>alert(7)</script>", "//evil.example/x")  # fmt: skip
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class FixedAccess:
    """A signed-in person who reads exactly these repositories (as GitHub sign-in gives)."""

    enabled = True

    def __init__(self, repositories: set[str], show_content: bool = False) -> None:
        self.seen = Viewer("mona", frozenset(repositories), show_content=show_content)

    async def viewer(self, request: Request) -> Viewer | None:
        """Everyone is mona."""
        return self.seen

    def login_url(self, request: Request) -> str:
        """Never used: mona is always signed in."""
        return "/login"

    def router(self) -> APIRouter:
        """No sign-in routes."""
        return APIRouter()


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A database with the engine's and specbot's tables, holding three runs and their events."""
    return seeded_database(tmp_path)


def seeded_database(tmp_path: Path) -> str:
    """The URL of a new SQLite file with three runs: two of acme/one (one with a story of
    hostile events), one of acme/two."""
    url = f"sqlite:///{tmp_path / 'specbot.sqlite'}"
    EngineClient(
        EngineSettings(database_url=url, application_version="t", executor_id="t"),
        create_schema=True,
    ).close()
    tables = create_engine(url)
    index, log = RunIndex(tables), EventLog(tables)
    index.started("spec:acme/one#1:aaa", "spec", {"repo": "acme/one", "issue": 1})
    index.finished("spec:acme/one#1:aaa", "succeeded", HOSTILE, Usage(0.0123, 900, 80, 2))
    index.started("review:acme/two#2@" + "b" * 40, "review", {"repo": "acme/two", "pull": 2})
    index.finished("review:acme/two#2@" + "b" * 40, "failed", "Boom", Usage(0.5, 10, 2, 1))
    index.started("spec:acme/one#3:ccc", "spec", {"repo": "acme/one", "issue": 3})
    for seq, (kind, payload) in enumerate(_story(), start=1):
        log.append(run_event("spec:acme/one#1:aaa", seq, kind, payload))
    log.append(run_event("review:acme/two#2@" + "b" * 40, 99, "stage.started", {"stage": "x"}))
    tables.dispose()
    return url


def run_event(run_id: str, seq: int, kind: str, payload: dict[str, Any]) -> Event:
    return Event(
        event_id=f"{run_id}/{seq}",
        event_type=kind,
        timestamp=START + timedelta(seconds=seq),
        source_agent="spec.implement",
        correlation_id=run_id,
        payload=payload,
    )


def _story() -> list[tuple[str, dict[str, Any]]]:
    usage = {"input_tokens": 900, "output_tokens": 80}
    return [
        ("stage.started", {"stage": "implement", "attempt": 1}),
        ("agent.started", {"agent": HOSTILE, "role": "implementer", "tools": []}),
        ("model.response", {"agent": HOSTILE, "role": "implementer", "model": "claude-x",
                            "usage": usage, "cost_usd": 0.0123, "content": "MODEL-TEXT-7"}),
        ("tool.call", {"agent": HOSTILE, "tool": "bash", "input": {"command": "TOOL-INPUT-9"}}),
        ("github.write", {"action": "pull request opened", "number": 2,
                          "url": "https://github.example/acme/one/pull/2"}),
        *[("github.write", {"action": HOSTILE, "number": None, "url": url}) for url in BAD_LINKS],
        ("review.contribution", {"agent": "security", "listed": [
            {"path": HOSTILE, "line": 4, "severity": "major", "kind": "bug"}]}),
        ("review.synthesis", {"event": "REQUEST_CHANGES", "findings": 1, "reason": HOSTILE}),
        ("agent.finished", {"agent": HOSTILE, "status": "done", "message": HOSTILE}),
        ("stage.finished", {"stage": "implement", "attempt": 1, "seconds": 8.0}),
    ]  # fmt: skip


def dashboard_client(database: str, access: Any = None, **values: Any) -> TestClient:
    """A client of the dashboard's routes over ``database`` (shared-secret access unless
    ``access`` is given; ``values`` are settings)."""
    return TestClient(dashboard_app(database, access, **values))


def dashboard_app(database: str, access: Any = None, **values: Any) -> FastAPI:
    """An app serving the dashboard's routes (and the access's sign-in routes)."""
    chosen_values = {
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SPECBOT_DASHBOARD_ACCESS": "secret",
        "SPECBOT_DASHBOARD_SECRET": SECRET,
        "SPECBOT_DATABASE_URL": database,
        **values,
    }
    settings = Settings(**chosen_values)
    store = EngineClient(
        EngineSettings(database_url=database, application_version="t", executor_id="t")
    )
    app = FastAPI()
    chosen = access or build_access(settings)
    app.include_router(chosen.router())
    app.include_router(
        dashboard_router(
            settings=settings, store=store, tables=create_engine(database), access=chosen
        )
    )
    return app


class _Tags(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of ``html`` with its attributes, as a browser's tokenizer reads them."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    """Nothing from the data became markup: only our script, no handler, style or image, every
    link a path of ours or an http(s) address, no control character."""
    tags = tags_of(html)
    scripts = [attrs.get("src") for tag, attrs in tags if tag == "script"]
    assert scripts == ["/dashboard-static/dashboard.js"]
    assert not [tag for tag, attrs in tags if any(name.startswith("on") for name in attrs)]
    assert not [tag for tag, attrs in tags if tag == "style" or "style" in attrs]
    assert not [tag for tag, _ in tags if tag in ("img", "iframe", "object", "embed", "base")]
    links = [attrs.get("href") or "" for tag, attrs in tags if tag == "a"]
    assert all(link.startswith(("/", "?", "https://", "http://")) for link in links), links
    assert not [link for link in links if link.startswith("//")]
    assert "\x1b" not in html


def test_the_list_is_off_unless_access_is_configured(database: str) -> None:
    """Access off: the list answers 404; a signed link still opens its run."""
    client = dashboard_client(database, SPECBOT_DASHBOARD_ACCESS="off")
    assert client.get("/runs", headers=BEARER).status_code == 404
    run_id = "spec:acme/one#1:aaa"
    signed = f"/runs/{quote(run_id, safe='')}?sig={run_signature(WEBHOOK_SECRET, run_id)}"
    assert client.get(signed).status_code == 200


def test_the_list_needs_a_viewer_and_shows_every_run_to_the_secret(database: str) -> None:
    """Without the secret: sign in first; with it, every run, newest first, and the filters."""
    client = dashboard_client(database)
    refused = client.get("/runs", headers={"Accept": "text/html"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert client.get("/runs?format=json").status_code == 401
    listed = client.get("/runs?format=json", headers=BEARER).json()["runs"]
    assert [row["run_id"] for row in listed] == [
        "spec:acme/one#3:ccc",
        "review:acme/two#2@" + "b" * 40,
        "spec:acme/one#1:aaa",
    ]
    assert listed[2]["cost_usd"] == pytest.approx(0.0123)
    failed = client.get("/runs?format=json&state=failed", headers=BEARER).json()["runs"]
    assert [row["flow"] for row in failed] == ["review"]
    ones = client.get("/runs?format=json&repository=acme/one", headers=BEARER).json()["runs"]
    assert {row["repository"] for row in ones} == {"acme/one"}
    today = datetime.now(UTC).date()
    dated = f"/runs?format=json&since={today - timedelta(days=1)}&until={today}"
    assert len(client.get(dated, headers=BEARER).json()["runs"]) == 3
    future = f"/runs?format=json&since={today + timedelta(days=2)}"
    assert client.get(future, headers=BEARER).json()["runs"] == []
    page = client.get("/runs", headers=BEARER)
    assert page.status_code == 200 and "<table" in page.text
    assert_inert(page.text)
    assert "&lt;script&gt;" in page.text  # the hostile outcome, as text
    assert "{{7*7}}" in page.text  # template syntax in data is not evaluated


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state=exploded", "state"),
        ("since=2026-13-01", "since"),
        ("until=yesterday", "until"),
        ("repository=../etc", "repository"),
        ("flow=<b>", "flow"),
        ("before=1%20OR%201=1:x", "cursor"),
    ],
)
def test_a_bad_filter_is_a_clear_400(database: str, query: str, message: str) -> None:
    """Each bad filter names itself, in JSON and on the page; none is a server error, and the
    page does not echo the value given."""
    client = dashboard_client(database)
    answer = client.get(f"/runs?format=json&{query}", headers=BEARER)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    page = client.get(f"/runs?{query}", headers=BEARER)
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    [alert] = [attrs for tag, attrs in tags_of(page.text) if attrs.get("role") == "alert"]
    assert message in page.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert "<b>" not in page.text and "OR 1=1" not in page.text


def test_paging_goes_through_every_run_once(database: str) -> None:
    """Two runs a page: the older link's cursor reaches the third, then no more."""
    client = dashboard_client(database)
    tables = create_engine(database)
    index = RunIndex(tables)
    for number in range(60):
        index.started(f"spec:acme/one#{100 + number}:x", "spec", {"repo": "acme/one"})
    tables.dispose()
    first = client.get("/runs?format=json", headers=BEARER).json()
    second = client.get(
        f"/runs?format=json&before={quote(first['next_cursor'])}", headers=BEARER
    ).json()
    assert len(first["runs"]) == 50 and len(second["runs"]) == 13
    assert second["next_cursor"] is None
    ids = [row["run_id"] for row in first["runs"] + second["runs"]]
    assert len(set(ids)) == 63
    html = client.get("/runs", headers=BEARER).text
    assert "Older runs" in html


def test_a_person_sees_only_the_repositories_they_read(database: str) -> None:
    """mona reads acme/one: acme/two is in no row, no filter choice, and its run is not found
    (page, JSON, SVG and stream alike), exactly as a run that does not exist."""
    client = dashboard_client(database, access=FixedAccess({"acme/one"}))
    html = client.get("/runs").text
    assert "acme/two" not in html
    options = [attrs.get("value") for tag, attrs in tags_of(html) if tag == "option"]
    assert [value for value in options if value and "/" in value] == ["acme/one"]
    secret_options = dashboard_client(database).get("/runs", headers=BEARER).text
    assert 'value="acme/two"' in secret_options  # the shared secret reads every repository
    listed = client.get("/runs?format=json").json()["runs"]
    assert {row["repository"] for row in listed} == {"acme/one"}
    assert client.get("/runs?format=json&repository=acme/two").json()["runs"] == []
    other = quote("review:acme/two#2@" + "b" * 40, safe="")
    for suffix in ("", "?format=json", "/timeline.svg", "/events"):
        answer = client.get(f"/runs/{other}{suffix}")
        assert (answer.status_code, answer.json()) == (404, {"status": "not found"})
    missing = client.get("/runs/spec%3Aacme%2Fone%2399%3Anope")
    assert (missing.status_code, missing.json()) == (404, {"status": "not found"})


def test_a_signed_link_opens_its_run_and_nothing_else(database: str) -> None:
    """The signature of run 1 opens run 1 (and its stream and chart), not run 3 nor the list."""
    client = dashboard_client(database)
    one, three = "spec:acme/one#1:aaa", "spec:acme/one#3:ccc"
    sig = run_signature(WEBHOOK_SECRET, one)
    assert client.get(f"/runs/{quote(one, safe='')}?sig={sig}").status_code == 200
    assert client.get(f"/runs/{quote(one, safe='')}/timeline.svg?sig={sig}").status_code == 200
    assert client.get(f"/runs/{quote(three, safe='')}?sig={sig}").status_code == 404
    assert client.get(f"/runs?sig={sig}", headers={"Accept": "text/html"},
                      follow_redirects=False).status_code == 303  # fmt: skip
    assert client.get(f"/runs/{quote(one, safe='')}?sig={sig[:-1]}0").status_code == 404


def test_the_run_page_shows_its_timeline_costs_and_blackboard_inertly(database: str) -> None:
    """Stages, agents, the model call's tokens and cost, the GitHub link (not the javascript:
    one), the blackboard; hostile text stays text; content hidden unless enabled."""
    client = dashboard_client(database)
    page = client.get(f"/runs/{quote('spec:acme/one#1:aaa', safe='')}", headers=BEARER)
    html = page.text
    assert page.status_code == 200 and "<h1>specbot run" in html
    assert_inert(html)
    assert "{{7*7}}" in html
    assert "stage implement finished" in html and "900 in / 80 out" in html
    assert 'href="https://github.example/acme/one/pull/2"' in html
    writes = re.findall(r'<li class="entry kind-github".*?</li>', html, re.S)
    assert len(writes) == 1 + len(BAD_LINKS)
    assert [w for w in writes if "<a " in w] == [w for w in writes if "github.example" in w]
    inline = ElementTree.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])
    assert not [e for e in inline.iter() if e.tag.endswith(("script", "a", "foreignObject"))]
    assert "implementer" in html and "claude-x" in html and "$0.0123" in html
    assert "REQUEST_CHANGES" in html and "security" in html
    assert "MODEL-TEXT-7" not in html and "TOOL-INPUT-9" not in html
    assert "SPECBOT_DASHBOARD_SHOW_CONTENT" in html
    hidden = client.get(f"/runs/{quote('spec:acme/one#1:aaa', safe='')}?format=json",
                        headers=BEARER).text  # fmt: skip
    assert "MODEL-TEXT-7" not in hidden and "TOOL-INPUT-9" not in hidden
    shown = dashboard_client(database, SPECBOT_DASHBOARD_SHOW_CONTENT=True)
    html = shown.get(f"/runs/{quote('spec:acme/one#1:aaa', safe='')}", headers=BEARER).text
    assert "MODEL-TEXT-7" in html and "TOOL-INPUT-9" in html
    assert_inert(html)


def test_the_svg_timeline_draws_stages_and_agents_and_stays_inert(database: str) -> None:
    """The chart parses as SVG: a bar per stage and agent with its tooltip, no script."""
    client = dashboard_client(database)
    answer = client.get(f"/runs/{quote('spec:acme/one#1:aaa', safe='')}/timeline.svg",
                        headers=BEARER)  # fmt: skip
    assert answer.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(answer.text)
    everything = list(root.iter())
    assert not [e for e in everything if e.tag.endswith("script")]
    assert not [e for e in everything for name in e.attrib if name.startswith("on")]
    bars = [e for e in everything if e.tag.endswith("rect") and "bar" in e.get("class", "")]
    assert len(bars) == 2  # the stage and the agent
    tips = [e.text or "" for bar in bars for e in bar if e.tag.endswith("title")]
    seconds = len(_story()) - 1  # the story's events are a second apart
    assert any(tip.startswith(f"stage implement: {seconds}.0 s, done") for tip in tips), tips
    assert any("<script>" in tip for tip in tips)  # the hostile agent name, as text


def test_the_stream_sends_what_came_after_and_ends_with_a_finished_run(database: str) -> None:
    """Entries after ``after`` (or Last-Event-ID), the run's state, then the end."""
    client = dashboard_client(database)
    last = len(_story())
    path = f"/runs/{quote('spec:acme/one#1:aaa', safe='')}/events?after={last - 2}"
    with client.stream("GET", path, headers=BEARER) as answer:
        text = "".join(answer.iter_text())
    ids = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("id:")]
    assert ids == [str(last - 1), str(last)]
    assert "event: state" in text and "event: end" in text
    state = next(
        json.loads(line[5:]) for line in text.splitlines()
        if line.startswith("data:") and '"state"' in line
    )  # fmt: skip
    assert state["state"] == "succeeded"
    assert "<script>" not in text and "&lt;script&gt;" in text
    header = {**BEARER, "Last-Event-ID": str(last - 1)}
    with client.stream("GET", path, headers=header) as answer:
        resumed = "".join(answer.iter_text())
    assert resumed.count("event: entry") == 1


def test_a_child_run_id_with_slashes_routes_to_its_own_page(database: str) -> None:
    """A child's id holds ``/``: its events and chart suffixes still reach it."""
    tables = create_engine(database)
    index = RunIndex(tables)
    child = "review:acme/one#2@" + "c" * 40 + "/reviewers"
    index.started("review:acme/one#2@" + "c" * 40, "review", {"repo": "acme/one", "pull": 2})
    index.started(child, "reviewers", {"repo": "acme/one", "pull": 2},
                  parent="review:acme/one#2@" + "c" * 40)  # fmt: skip
    EventLog(tables).append(run_event(child, 1, "stage.started", {"stage": "security"}))
    index.finished(child, "succeeded", "", Usage())
    tables.dispose()
    client = dashboard_client(database)
    for path in (quote(child, safe=""), quote(child, safe="/:@")):  # %2F or a plain "/"
        page = client.get(f"/runs/{path}", headers=BEARER)
        assert page.status_code == 200 and child in html_unescape(page.text)
        svg = client.get(f"/runs/{path}/timeline.svg", headers=BEARER)
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert "stage security" in svg.text
        events = client.get(f"/runs/{path}/events", headers=BEARER)
        assert events.headers["content-type"].startswith("text/event-stream")
        assert "stage security started" in events.text and "event: end" in events.text
        assert client.get(f"/runs/{path}?format=json", headers=BEARER).json()["run_id"] == child
    signed = f"?sig={run_signature(WEBHOOK_SECRET, child)}"
    for suffix in ("", "/timeline.svg", "/events"):
        answer = client.get(f"/runs/{quote(child, safe='')}{suffix}{signed}")
        assert answer.status_code == 200, suffix
    parent = client.get(f"/runs/{quote('review:acme/one#2@' + 'c' * 40, safe='')}",
                        headers=BEARER).text  # fmt: skip
    assert "/reviewers" in parent  # listed among the runs it started


def test_a_run_with_thousands_of_events_renders_and_says_what_it_left_out(
    database: str,
) -> None:
    """5,200 events (more than one read of the log): the page lists the newest 2,000 and says
    how many it did not; the chart still draws."""
    tables = create_engine(database)
    log = EventLog(tables)
    run_id = "spec:acme/one#3:ccc"
    for seq in range(5200):
        log.append(run_event(run_id, seq, "tool.call", {"agent": "a", "tool": "bash", "input": {}}))
    tables.dispose()
    html = dashboard_client(database).get(f"/runs/{quote(run_id, safe='')}", headers=BEARER).text
    assert "The 3200 oldest entries are not listed." in html
    assert html.count('class="entry kind-tool"') == 2000
    assert html.count("<svg") == 1 and "No stage has started yet." in html


class _Controls(HTMLParser):
    """The form controls of a page and whether each sits inside a ``<label>``."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.controls: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "label":
            self.depth += 1
        elif tag in ("select", "input") and dict(attrs).get("type") != "hidden":
            self.controls.append((dict(attrs).get("name") or "", self.depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.depth -= 1


def test_the_pages_are_accessible_self_contained_and_work_without_javascript(
    database: str,
) -> None:
    """A language, one h1, labelled filters, scoped table headers, a titled chart, nothing
    loaded from elsewhere; without JavaScript the list and a running run's page refresh."""
    client = dashboard_client(database)
    listing = client.get("/runs", headers=BEARER).text
    running = client.get(f"/runs/{quote('spec:acme/one#3:ccc', safe='')}", headers=BEARER).text
    ended = client.get(f"/runs/{quote('spec:acme/one#1:aaa', safe='')}", headers=BEARER).text
    for html in (listing, running, ended):
        tags = tags_of(html)
        assert ("html", {"lang": "en"}) in tags
        assert [tag for tag, _ in tags].count("h1") == 1
        assert all(attrs.get("scope") == "col" for tag, attrs in tags if tag == "th")
        loaded = [attrs.get("src") or attrs.get("href") or "" for tag, attrs in tags
                  if tag in ("script", "link", "img")]  # fmt: skip
        assert loaded and all(url.startswith("/dashboard-static/") for url in loaded)
    controls = _Controls()
    controls.feed(listing)
    assert controls.controls == [
        ("repository", True), ("flow", True), ("state", True), ("since", True), ("until", True)
    ]  # fmt: skip
    svg = ElementTree.fromstring(running[running.index("<svg") : running.index("</svg>") + 6])
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "gantt-title gantt-desc"
    refresh = '<noscript><meta http-equiv="refresh"'
    assert refresh in listing and refresh in running and refresh not in ended
    assert 'data-live="/runs/' in running and 'data-live=""' in ended
    for name in ("dashboard.css", "dashboard.js"):
        served = client.get(f"/dashboard-static/{name}")
        assert served.status_code == 200 and "http" not in served.text  # no CDN, no fetch off-site
    assert client.get("/dashboard-static/..%2Fbase.html").status_code == 404
