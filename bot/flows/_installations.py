"""Installation events: recorded in the event log (who installed specbot where, and when)."""

from __future__ import annotations

from pydantic import ValidationError

from bot.flows._context import DeliveryContext, FlowRouter
from bot.flows._payloads import InstallationEvent
from bot.routing import Router
from bot.webhooks import Event

router: FlowRouter = Router()


@router.register("installation")
@router.register("installation_repositories")
def on_installation(event: Event, context: DeliveryContext) -> None:
    """Record an installation change as an event of the delivery's run."""
    try:
        change = InstallationEvent.model_validate(event.payload)
    except ValidationError:  # still recorded: who changed what is worth keeping
        change = InstallationEvent()
    account = change.installation.account if change.installation is not None else None
    payload = {
        "github_event": event.name,
        "action": event.action,
        "installation_id": event.installation_id,
        "account": account.login if account is not None else None,
        "repositories": change.repository_names(),
        "sender": event.sender_login,
    }
    context.log.info("installation changed", **payload)
    context.run.emit(f"installation.{event.action or 'changed'}", payload)
