"""Event flows a repository declares: when specbot publishes an event the flow subscribes to
(``review.completed``, or another flow's ``agent.completed``), the flow's agent reads the pull
request and its answer is posted there.

```yaml
flows:
  explain-failures:
    pattern: events
    triggers: [review.completed]
    where: {conclusion: failure}
    agents: [explainer]
```

Each answer publishes ``agent.completed`` in the same chain, so flows can follow each other;
the chain's cap (``SPECBOT_EVENT_CHAIN_LIMIT``) ends any loop they make.
"""

from __future__ import annotations

import functools
import json

import structlog

from bot.config import RepoConfig
from bot.flows._services import Services
from bot.orchestra import Event, Subscription
from bot.orchestra.config import PUBLISHED_EVENTS, FlowConfig
from bot.ports import RepoGitHub
from bot.posted import GITHUB_BODY_LIMIT, inert_text
from bot.untrusted import delimit
from bot.work import act_on_event

SUBSCRIBER = "repository-flows"
PUBLISHED = tuple(PUBLISHED_EVENTS)  # what event flows may subscribe to
MARKER = "<!-- specbot:event-flow:{flow}:{event_id} -->"
log = structlog.get_logger("specbot.flows")


def subscription(services: Services) -> Subscription:
    """The one subscriber that runs every repository's event flows."""
    handler = functools.partial(_handle, services)
    return Subscription(SUBSCRIBER, PUBLISHED, handler, where={"event_flows": True})


def _handle(services: Services, event: Event) -> list[Event]:
    """Run each enabled event flow of the event's repository that wants it."""
    payload = event.payload
    repo, installation = str(payload["repository"]), int(payload["installation_id"])
    github = services.github(repo, installation)
    config = services.repo_config(github)  # the default branch's: only writers change it
    caused: list[Event] = []
    failed: list[Exception] = []
    for name, flow in config.event_flows().items():
        if _wants(name, flow, event):
            try:
                caused.append(_run(services, github, config, name, flow, event))
            except Exception as exc:  # one flow failing must not keep the others from running
                log.warning("event flow failed", flow=name, error=f"{type(exc).__name__}: {exc}")
                failed.append(exc)
    if failed:
        # The delivery fails and can be retried: flows that answered find their answer and
        # publish the same agent.completed again; only the failed ones do their work again.
        raise failed[0]
    return caused


def _wants(name: str, flow: FlowConfig, event: Event) -> bool:
    if event.event_type == "agent.completed" and event.payload.get("flow") == name:
        return False  # a flow never answers itself; a loop between flows hits the chain cap
    interest = Subscription(SUBSCRIBER, tuple(flow.triggers), _nothing, where=dict(flow.where))
    return interest.wants(event)


def _nothing(event: Event) -> list[Event]:
    return []


def _run(
    services: Services,
    github: RepoGitHub,
    config: RepoConfig,
    name: str,
    flow: FlowConfig,
    event: Event,
) -> Event:
    """The flow's agent on the pull request; its answer posted once; ``agent.completed``."""
    pull_number = int(event.payload["pull"])
    agent_name = flow.agents[0]
    marker = MARKER.format(flow=name, event_id=event.event_id)
    posted = github.find_own_comment(pull_number, marker)  # a retried delivery posted it
    if posted is None:
        answer = _answer(services, github, config, name, agent_name, event)
        header = f"{marker}\n**{name}** (`{agent_name}`):\n\n"
        body = header + inert_text(answer, GITHUB_BODY_LIMIT - len(header))
        posted = github.create_comment(pull_number, body)
        log.info("event flow answered", flow=name, agent=agent_name, pull=pull_number)
    return event.follow(
        "agent.completed",
        f"flow.{name}",
        {
            "event_flows": True,
            "repository": event.payload["repository"],
            "installation_id": event.payload["installation_id"],
            "pull": pull_number,
            "flow": name,
            "agent": agent_name,
            "comment_id": posted.id,
        },
    )


def _answer(
    services: Services,
    github: RepoGitHub,
    config: RepoConfig,
    name: str,
    agent_name: str,
    event: Event,
) -> str:
    """Run the agent in a checkout of the pull request's head; its final text."""
    agent = config.agents[agent_name]
    instructions = agent.role
    if agent.prompt is not None:
        instructions = github.read_file(agent.prompt) or agent.role
    pull = github.pull(int(event.payload["pull"]))
    checkout = services.checkout_pull(github, pull, f"event:{event.event_id}:{name}")
    shown = {"type": event.event_type, "from": event.source_agent, **event.payload}
    try:
        outcome = act_on_event(
            services.team(run_id=None, config=config),
            checkout,
            flow=name,
            agent=agent_name,
            role=agent.role,
            instructions=instructions,
            pull=pull.number,
            event=delimit(json.dumps(shown, indent=2, sort_keys=True), "event", clean=False),
        )
    finally:
        services.workspaces.remove(checkout)
    return outcome.final_text.strip() or f"({agent_name} had nothing to say: {outcome.message})"
