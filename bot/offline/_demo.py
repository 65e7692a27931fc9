"""``specbot demo``: the whole loop offline, watched and timed, with counts at the end.

Starts the offline App (localhub, the scripted model, the engine, the webhook server), seeds a
small Python project and a user with write access, opens the spec issue and labels it, then
prints each step as GitHub shows it. Succeeds only if every step happened.
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

from bot.agents import PriceTable, Usage, UsageLedger
from bot.offline._stack import APP_ID, OfflineStack, start_stack
from bot.offline._timeline import REFUSAL_STEPS, STEPS, Probe, Watch
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
    **settings: Any,
) -> DemoReport:
    """Run the loop once in ``data_dir`` and report each step through ``echo``.

    ``hold`` is called with everything still running once the loop is over (``--serve``).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    key = _write_key(data_dir / "demo-app.pem")
    started = time.monotonic()
    with start_stack(
        demo_seed(content.repo_dir, key), content.script, data_dir / "app", key, **settings
    ) as stack:
        echo(f"localhub (GitHub API) at {stack.hub.api_url}")
        echo(f"scripted model at {stack.model.base_url}")
        echo(f"specbot webhooks at {stack.webhook_url}")
        refused = DemoReport()
        if content.not_ready is not None:
            number = _open_spec(stack, *content.not_ready, echo, started)
            refused = _watch(stack, number, echo, started, timeout, REFUSAL_STEPS)
        number = _open_spec(stack, content.title, content.body, echo, started)
        report = _watch(stack, number, echo, started, timeout)
        report.seen[:0], report.missed[:0] = refused.seen, refused.missed
        report.seconds = time.monotonic() - started
        report.links = {
            "repository": f"{stack.hub.url}/{REPO}",
            "issue": f"{stack.hub.url}/{REPO}/issues/{number}",
        }
        report.links.update(report_links(stack, REPO))
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
        line = probe(watch)
        if line is None:
            time.sleep(0.25)
            continue
        report.seen.append((name, time.monotonic() - started, line))
        echo(f"{_clock(started)}  {line}")
        pending.pop(0)
    report.missed = [name for name, _probe in pending]
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
    report.model_calls = len(entries)
    report.cost_usd = model_cost(entries)
    for entry in entries:
        usage = entry.usage or {}
        report.input_tokens += int(usage.get("input_tokens", 0))
        report.input_tokens += int(usage.get("cache_read_input_tokens", 0))
        report.input_tokens += int(usage.get("cache_creation_input_tokens", 0))
        report.output_tokens += int(usage.get("output_tokens", 0))


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
