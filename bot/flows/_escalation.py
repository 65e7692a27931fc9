"""The follow-up as a hierarchy (``flows.follow-up.pattern: hierarchy``): when the rounds are
spent and the review still requests changes, the findings go up the implementer's escalation
chain instead of straight to a person.

Each agent above (the built-in ``lead`` by default) reads the open findings and the code and
decides, per finding, to accept it or leave it to a person. Code, not the model, holds it to
its written authority (``accept.minor``, ``accept.nit``, ...): an acceptance beyond it goes
higher, and past the top of the chain (or ``max_escalation_depth``) to a person. The result is
one comment on the pull request naming every finding and who settled it.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import RepoConfig
from bot.flows._context import JobContext
from bot.flows._jobs import FollowUpJob, OpenFinding, open_finding
from bot.flows._runs import SETTLE_TRIGGER, followup_prefix, start_followup_run
from bot.flows._services import Services
from bot.orchestra import Hierarchy
from bot.ports import PullInfo
from bot.posted import GITHUB_BODY_LIMIT, inert_text
from bot.review import MergedFinding
from bot.untrusted import delimit
from bot.work import Team, settle

MARKER = "<!-- specbot:settle:{run_id} -->"
NO_DECISION = "no decision was given"


def may_fix(config: RepoConfig) -> bool:
    """Whether the implementer may make follow-up rounds (``fix`` in its authority, when the
    follow-up is a hierarchy; always in a pipeline)."""
    if config.flows["follow-up"].pattern != "hierarchy":
        return True
    return config.hierarchy().role("implementer").may("fix")


def start_escalation(
    services: Services,
    job: FollowUpJob,
    config: RepoConfig,
    findings: list[MergedFinding],
    review_id: int | None,
) -> str | None:
    """Hand the open findings to the first agent above the implementer; the next step in
    words, or None when the follow-up is not a hierarchy or nobody is above (a person)."""
    if config.flows["follow-up"].pattern != "hierarchy":
        return None
    chain = config.hierarchy().above("implementer")
    if not chain:
        return None
    escalation = job.model_copy(
        update={
            "settle_by": chain[0],
            "above": chain[1:],
            "open_findings": [open_finding(item) for item in findings],
            "threads": [],
        }
    )
    start_followup_run(services, escalation, f"{SETTLE_TRIGGER}{review_id}-{chain[0]}")
    return f"The open findings went to `{chain[0]}` to settle, as the escalation chain says."


def settle_findings(
    context: JobContext,
    team: Team,
    checkout: Path,
    job: FollowUpJob,
    pull: PullInfo,
    config: RepoConfig,
) -> FollowUpJob:
    """The agent's decisions, held to its authority; one comment; what it may not accept
    goes up the chain. The decisions are kept as the stage's member, so a restarted stage
    neither asks the agent again nor passes on anything but what the comment says."""
    agent = job.settle_by or ""
    marker = MARKER.format(run_id=context.run_id)
    if context.github.find_own_comment(job.pull, marker) is not None:  # posted before a crash
        return job.model_copy(update={"outcome": "settled"})
    hierarchy = config.hierarchy()
    kept = context.stage.members.recall("decisions")
    if kept is None:
        made = _decisions(team, checkout, job, pull, hierarchy, agent)
        kept = {"decisions": [[ok, reason] for ok, reason in made]}
        context.stage.members.keep("decisions", kept)
    reasons = [(bool(ok), str(reason)) for ok, reason in kept["decisions"]]
    accepted = [(f, r) for f, (ok, r) in zip(job.open_findings, reasons, strict=True) if ok]
    left = [(f, r) for f, (ok, r) in zip(job.open_findings, reasons, strict=True) if not ok]
    next_step = _pass_on(context, job, [f for f, _ in left])
    body = _comment(marker, agent, hierarchy, accepted, left, next_step)
    context.github.create_comment(job.pull, body)
    outcome = f"settled by {agent}: {len(accepted)} accepted, {len(left)} passed on"
    return job.model_copy(update={"outcome": outcome})


def _decisions(
    team: Team,
    checkout: Path,
    job: FollowUpJob,
    pull: PullInfo,
    hierarchy: Hierarchy,
    agent: str,
) -> list[tuple[bool, str]]:
    """Per open finding: accepted within the agent's authority, and the reason."""
    role = hierarchy.role(agent)
    listed = "\n".join(
        f"{n}. {f.path} line {f.line} ({f.severity}, {f.kind}): {' '.join(f.message.split())}"
        for n, f in enumerate(job.open_findings, start=1)
    )
    outcome = settle(
        team,
        checkout,
        agent=agent,
        authority=", ".join(role.authority) or "none",
        pull=job.pull,
        title=pull.title,
        rounds=job.round,
        findings=delimit(listed, "open findings", clean=False),
    )
    given = {}
    if outcome.submission is not None:
        given = {d["finding"]: d for d in outcome.submission.get("decisions", [])}
    results: list[tuple[bool, str]] = []
    for number, finding in enumerate(job.open_findings, start=1):
        decision = given.get(number)
        reason = str(decision["reason"]) if decision else NO_DECISION
        wants = decision is not None and decision["decision"] == "accept"
        if wants and not role.may(f"accept.{finding.severity}"):
            reason = f"accepting a {finding.severity} finding is beyond `{agent}`'s authority"
            wants = False
        results.append((wants, reason))
    return results


def _pass_on(context: JobContext, job: FollowUpJob, left: list[OpenFinding]) -> str:
    """Send what is left to the next agent up (a run named after this one, so each review's
    escalation has its own and a restarted stage starts it once), or say a person decides."""
    if not left:
        return "Nothing is left open: ready for a person's review."
    if not job.above:
        return "A person should decide on what is left."
    higher = job.model_copy(
        update={"settle_by": job.above[0], "above": job.above[1:], "open_findings": left}
    )
    this_run = context.run_id.removeprefix(followup_prefix(job.repo, job.pull))
    start_followup_run(context.services, higher, f"{this_run}-{job.above[0]}")
    return f"What is left went up to `{job.above[0]}`."


def _comment(
    marker: str,
    agent: str,
    hierarchy: Hierarchy,
    accepted: list[tuple[OpenFinding, str]],
    left: list[tuple[OpenFinding, str]],
    next_step: str,
) -> str:
    """The escalation's comment; the findings' and the agent's words are rendered inert."""
    authority = ", ".join(hierarchy.role(agent).authority) or "none"
    lines = [f"**Escalation**: `{agent}` (authority: {authority}) settled the open findings.", ""]
    for title, items in (("Accepted", accepted), ("Not accepted", left)):
        if items:
            lines.append(f"{title}:")
            lines += [_item(finding, reason) for finding, reason in items]
            lines.append("")
    lines.append(next_step)
    return f"{marker}\n{inert_text(chr(10).join(lines), GITHUB_BODY_LIMIT - len(marker) - 1)}"


def _item(finding: OpenFinding, reason: str) -> str:
    what = " ".join(finding.message.split())[:300]
    why = " ".join(reason.split())[:500]
    return f"- `{finding.path}` line {finding.line} ({finding.severity}): {what} Reason: {why}"
