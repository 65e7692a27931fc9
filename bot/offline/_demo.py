"""``specbot demo``: the whole loop offline, watched and timed, with counts at the end.

Starts the offline App (localhub, the scripted model, the engine, the webhook server), seeds a
small Python project and a user with write access, opens the spec issue and labels it, then
prints each step as GitHub shows it. Succeeds only if every step happened. On a terminal a
``Board`` also shows the steps to come, what the App's runs are doing, their agents and the
model's usage so far, read from the run index, the event log and the model's own log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github

from bot.adapters.durable import RunQuery, RunRow
from bot.agents import PriceTable, Usage, UsageLedger
from bot.local import Board
from bot.offline._stack import APP_ID, OfflineStack, start_stack
from bot.offline._timeline import REFUSAL_STEPS, STEPS, Probe, Watch
from bot.orchestra import Event
from bot.run_links import run_link
from bot.scripted import LoggedRequest

REPO = "acme/invoices"
USER, USER_TOKEN = "alice", "ghp_demo_alice"
INSTALLATION_ID = 100
Echo = Callable[[str], None]
Hold = Callable[[OfflineStack, "DemoReport"], None]
_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class DemoContent:
    """What the demo seeds and scripts: a project, a spec issue and the model's script."""

    repo_dir: Path
    title: str
    body: str
    script: Path
    not_ready: tuple[str, str] | None = None  # title and body of a spec opened first, refused


@dataclass
class DemoReport:
    """What happened: the steps seen (with seconds), what was missed, and the counts."""

    seen: list[tuple[str, float, str]] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    api_calls: int = 0
    api_calls_by_kind: dict[str, int] = field(default_factory=dict)
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    # the pages a person looks at afterwards: repository, issue, pull request, its diff
    links: dict[str, str] = field(default_factory=dict)
    # the run dashboard, its sign-in secret, and each run's signed page (label, link)
    dashboard: str = ""
    dashboard_secret: str = ""
    runs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every step happened."""
        return not self.missed


def _write_key(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def demo_seed(repo_dir: Path, key: Path) -> dict[str, Any]:
    """One user with write access, the project, and the App installed on it."""
    permissions = {
        name: "write" for name in ("contents", "issues", "pull_requests", "checks", "statuses")
    }
    return {
        "users": [{"login": USER, "token": USER_TOKEN, "name": "Alice Example"}],
        "orgs": ["acme"],
        "repos": [
            {
                "full_name": REPO,
                "source": str(repo_dir),
                "default_branch": "main",
                "collaborators": {USER: "write"},
            }
        ],
        "apps": [
            {
                "id": APP_ID,
                "slug": "specbot",
                "private_key_path": str(key),
                "webhook_url": "http://127.0.0.1:9/webhook",
                "webhook_secret": "replaced-at-start",
                "installations": [
                    {
                        "id": INSTALLATION_ID,
                        "account": "acme",
                        "repositories": [REPO],
                        "permissions": {**permissions, "metadata": "read"},
                    }
                ],
            }
        ],
    }


def run_demo(
    content: DemoContent,
    data_dir: Path,
    echo: Echo,
    *,
    timeout: float = 300.0,
    hold: Hold | None = None,
    board: Board | None = None,
    **settings: Any,
) -> DemoReport:
    """Run the loop once in ``data_dir`` and report each step through ``echo``.

    ``hold`` is called with everything still running once the loop is over (``--serve``);
    ``board`` is kept up to date while the loop runs (a terminal's live display).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    key = _write_key(data_dir / "demo-app.pem")
    started = time.monotonic()
    # A local demo of scripted content: its run pages may show prompts and tool output.
    settings = {"SPECBOT_DASHBOARD_SHOW_CONTENT": True, **settings}
    seed = demo_seed(content.repo_dir, key)
    with start_stack(
        seed, content.script, data_dir / "app", key, link_runs=True, **settings
    ) as stack:
        feed = None if board is None else _DemoBoard(stack, board, content.not_ready is not None)
        echo(f"localhub (GitHub API) at {stack.hub.api_url}")
        echo(f"scripted model at {stack.model.base_url}")
        echo(f"specbot webhooks at {stack.webhook_url}")
        refused = DemoReport()
        if content.not_ready is not None:
            number = _open_spec(stack, *content.not_ready, echo, started)
            refused = _watch(stack, number, echo, started, timeout, REFUSAL_STEPS, feed)
        number = _open_spec(stack, content.title, content.body, echo, started)
        report = _watch(stack, number, echo, started, timeout, STEPS, feed)
        report.seen[:0], report.missed[:0] = refused.seen, refused.missed
        report.seconds = time.monotonic() - started
        report.links = {
            "repository": f"{stack.hub.url}/{REPO}",
            "issue": f"{stack.hub.url}/{REPO}/issues/{number}",
        }
        report.links.update(report_links(stack, REPO))
        report.dashboard = f"{stack.app_url}/runs"
        report.dashboard_secret = stack.dashboard_secret
        report.runs = run_pages(stack, REPO)
        _count(stack, report)
        if hold is not None:
            hold(stack, report)
    return report


def _open_spec(stack: OfflineStack, title: str, body: str, echo: Echo, started: float) -> int:
    """Open a spec issue as the demo user and label it ``spec``; its number."""
    issue = stack.hub.open_issue(REPO, title, body, as_user=USER)
    echo(f"{_clock(started)}  {USER} opened issue #{issue['number']}: {issue['html_url']}")
    stack.hub.label(REPO, issue["number"], ["spec"], as_user=USER)
    echo(f"{_clock(started)}  {USER} added the label `spec`")
    return int(issue["number"])


def _clock(started: float) -> str:
    return f"[{time.monotonic() - started:6.1f} s]"


def _watch(
    stack: OfflineStack,
    issue: int,
    echo: Echo,
    started: float,
    timeout: float,
    steps: tuple[tuple[str, Probe], ...] = STEPS,
    feed: _DemoBoard | None = None,
) -> DemoReport:
    client = Github(
        base_url=stack.hub.api_url,
        auth=Auth.Token(USER_TOKEN),
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    watch = Watch(repo=client.get_repo(REPO), issue=issue)
    report = DemoReport()
    deadline = time.monotonic() + timeout
    pending = list(steps)
    while pending and time.monotonic() < deadline:
        name, probe = pending[0]
        if feed is not None:
            feed.poll(name)
        line = probe(watch)
        if line is None:
            time.sleep(0.25)
            continue
        report.seen.append((name, time.monotonic() - started, line))
        echo(f"{_clock(started)}  {line}")
        if feed is not None:
            feed.step_done(name)
        pending.pop(0)
    report.missed = [name for name, _probe in pending]
    if feed is not None and pending:
        feed.step_missed(pending[0][0])
    client.close()
    return report


def _route_kind(path: str) -> str:
    """``/api/v3/repos/acme/invoices/issues/1/comments`` -> ``issues/comments``."""
    in_repo = path.startswith("/api/v3/repos/")
    parts = (path.split("/")[6:] or ["repository"]) if in_repo else path.split("/")[3:]
    kept = [p for p in parts if not p.isdigit() and not _SHA.fullmatch(p)]
    return "/".join(kept) or path


def _count(stack: OfflineStack, report: DemoReport) -> None:
    bot_login = "specbot[bot]"
    calls = [r for r in stack.hub.requests() if r.get("caller") == bot_login]
    report.api_calls = len(calls)
    kinds: dict[str, int] = {}
    for call in calls:
        kind = f"{call['method']} {_route_kind(call['path'])}"
        kinds[kind] = kinds.get(kind, 0) + 1
    report.api_calls_by_kind = dict(sorted(kinds.items(), key=lambda item: -item[1]))
    entries = stack.model.log.entries(path="/v1/messages")
    report.model_calls, report.input_tokens, report.output_tokens, report.cost_usd = model_usage(
        entries
    )


def model_usage(entries: list[LoggedRequest]) -> tuple[int, int, int, float]:
    """Calls, input tokens (cache reads and writes included), output tokens and cost."""
    tokens_in = tokens_out = 0
    for entry in entries:
        usage = entry.usage or {}
        tokens_in += int(usage.get("input_tokens", 0))
        tokens_in += int(usage.get("cache_read_input_tokens", 0))
        tokens_in += int(usage.get("cache_creation_input_tokens", 0))
        tokens_out += int(usage.get("output_tokens", 0))
    return len(entries), tokens_in, tokens_out, model_cost(entries)


def model_cost(entries: list[LoggedRequest]) -> float:
    """What the model calls would cost at the bundled prices, in USD (unknown models at the
    table's highest rates, as a run's ledger prices them)."""
    ledger = UsageLedger(PriceTable.bundled())
    for entry in entries:
        body = entry.body if isinstance(entry.body, dict) else {}
        usage = {key: int(value) for key, value in (entry.usage or {}).items()}
        kept = {key: value for key, value in usage.items() if key in Usage.model_fields}
        ledger.record("demo", str(body.get("model") or "unknown"), Usage(**kept))
    return ledger.cost_usd()


def report_links(stack: OfflineStack, repo: str) -> dict[str, str]:
    """The pull request's page and its diff, once specbot opened one."""
    pulls = [i for i in stack.hub.state()["issues"].values() if i["repo"] == repo and i["pull"]]
    if not pulls:
        return {}
    url = f"{stack.hub.url}/{repo}/pull/{min(p['number'] for p in pulls)}"
    return {"pull request": url, "diff and review comments": f"{url}/files"}


def run_pages(stack: OfflineStack, repo: str) -> list[tuple[str, str]]:
    """Each run the demo made in ``repo`` (not the deliveries' ingest runs), oldest first, with
    its page's signed link (readable without signing in)."""
    secret = stack.settings.github_webhook_secret
    if secret is None:
        return []
    rows = stack.engine.index.page(RunQuery(repository=repo, limit=200)).rows
    pages: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for row in reversed(rows):
        if row.flow == "ingest":
            continue
        label = f"{row.flow} #{row.number}" if row.number is not None else row.flow
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}, run {seen[label]}"
        if row.state != "succeeded":
            label = f"{label} ({row.state})"
        pages.append((label, run_link(stack.app_url, secret.get_secret_value(), row.run_id)))
    return pages


class _DemoBoard:
    """Keeps a ``Board`` up to date: the demo's steps, what the App's runs are doing now (their
    stage, their agents) and the model's usage, a few times a second at most."""

    def __init__(self, stack: OfflineStack, board: Board, refusal: bool) -> None:
        self._stack = stack
        self._board = board
        self._seq = 0  # the last event read
        self._known: set[str] = set()
        self._stages: dict[str, tuple[str, float]] = {}  # run id: its stage, since when
        self._step = ("", 0.0)  # the step waited for, since when
        self._next = 0.0
        steps = [*(REFUSAL_STEPS if refusal else ()), *STEPS]
        what = {name: (probe.__doc__ or "").strip().rstrip(".") for name, probe in steps}
        board.plan((name for name, _probe in steps), lambda name: what.get(name, ""))

    def poll(self, step: str) -> None:
        """Note the step waited for; read what changed since the last poll."""
        now = time.monotonic()
        if self._step[0] != step:
            self._step = (step, now)
            self._board.stage_started(step)
        if now < self._next:
            return
        self._next = now + 0.25
        try:
            self._read(now)
        except Exception:  # the display is for people: the demo goes on without it
            return

    def step_done(self, step: str) -> None:
        """The step happened."""
        self._board.stage_ended(step, "ok", time.monotonic() - self._step[1], "")

    def step_missed(self, step: str) -> None:
        """The step did not happen in time."""
        seconds = time.monotonic() - self._step[1]
        self._board.stage_ended(step, "failed", seconds, "did not happen in time")

    def _read(self, now: float) -> None:
        index, events = self._stack.engine.index, self._stack.engine.events
        rows = index.page(RunQuery(repository=REPO, limit=200)).rows
        running = [r for r in rows if r.state == "running" and r.flow != "ingest"]
        at_work = [r.run_id for r in running]
        at_work += [child.run_id for r in running for child in index.children(r.run_id)]
        ids = sorted({*at_work, *(r.run_id for r in rows if r.flow != "ingest")})
        new = {run_id for run_id in ids if run_id not in self._known}
        # One read from the start when a run is new (its first events may be older than the
        # last one read), so no event falls between two reads.
        found = events.run_events(ids, after_seq=0 if new else self._seq) if ids else []
        for seq, event in found:
            if seq > self._seq or event.correlation_id in new:
                self._apply(event, now)
        self._seq = max([self._seq, *(seq for seq, _event in found)])
        self._known |= new
        self._board.keep_agents(set(at_work))
        self._board.set_work(self._doing(row, now) for row in running)
        calls, tokens_in, tokens_out, cost = model_usage(
            self._stack.model.log.entries(path="/v1/messages")
        )
        self._board.set_usage(calls, tokens_in, tokens_out, cost)

    def _apply(self, event: Event, now: float) -> None:
        run_id, kind = event.correlation_id, event.event_type
        if kind == "stage.started":
            self._stages[run_id] = (str(event.payload.get("stage", "")), now)
        elif kind in ("stage.finished", "stage.failed"):
            self._stages.pop(run_id, None)
        else:
            self._board.on_agent_event(kind, event.payload, scope=run_id)

    def _doing(self, row: RunRow, now: float) -> str:
        name = f"{row.flow} #{row.number}" if row.number is not None else row.flow
        stage, since = self._stages.get(row.run_id, ("", now))
        return f"{name} › {stage} ({now - since:.0f} s)" if stage else f"{name} › starting"
