"""Installation events: recorded in the event log (who installed specbot where, and when)."""

from __future__ import annotations

import structlog

from bot.ingest import IngestRouter
from bot.orchestra import StageContext
from bot.routing import Router
from bot.webhooks import Event

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()


def _repositories(event: Event) -> list[str]:
    names: list[str] = []
    for key in ("repositories", "repositories_added", "repositories_removed"):
        for item in event.payload.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("full_name"), str):
                names.append(item["full_name"])
    return names


@router.register("installation")
@router.register("installation_repositories")
def on_installation(event: Event, context: StageContext) -> None:
    """Record an installation change as an event of the delivery's run."""
    installation = event.payload.get("installation")
    account = installation.get("account") if isinstance(installation, dict) else None
    payload = {
        "github_event": event.name,
        "action": event.action,
        "installation_id": event.installation_id,
        "account": account.get("login") if isinstance(account, dict) else None,
        "repositories": _repositories(event),
        "sender": event.sender_login,
    }
    log.info("installation changed", **payload)
    context.emit(f"installation.{event.action or 'changed'}", payload)
