"""What a handler and a stage work with, built from the services the catalog was given.

A delivery gets a ``DeliveryContext`` (services, the event, the ingest run, a logger bound to
the delivery and run ids). A handler about one repository is wrapped by ``on_repository``: it
receives the payload as a typed model and a ``RepoContext`` with the repository's GitHub port
and its configuration, read at most once per delivery. A flow's stage gets a ``JobContext``
the same way (``job_stage``). Nothing here is process-wide: the catalog holds the services.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from bot.config import RepoConfig
from bot.flows._jobs import RepoJob
from bot.flows._services import Services
from bot.flows._trigger import is_self, refusal
from bot.orchestra import Stage, StageContext
from bot.ports import RepoGitHub
from bot.routing import Router
from bot.webhooks import Event

PayloadT = TypeVar("PayloadT", bound=BaseModel)
JobT = TypeVar("JobT", bound=RepoJob)
OutT = TypeVar("OutT", bound=BaseModel)


@dataclass
class DeliveryContext:
    """One delivery being dispatched: the services, the event, the ingest run, a bound log."""

    services: Services
    event: Event
    run: StageContext
    log: Any  # a structlog logger bound to the delivery, the event and the run

    @classmethod
    def of(cls, services: Services, event: Event, run: StageContext) -> DeliveryContext:
        """The context of ``event`` dispatched in the ingest run ``run``."""
        log = structlog.get_logger("specbot.flows").bind(
            delivery_id=event.delivery_id,
            github_event=event.name,
            action=event.action,
            run_id=run.run_id,
        )
        return cls(services=services, event=event, run=run, log=log)

    @functools.cached_property
    def repository(self) -> RepoContext | None:
        """The repository's context, shared by the delivery's handlers; None (logged) when
        the delivery names no repository or installation."""
        repo, installation = self.event.repo_full_name, self.event.installation_id
        if not repo or installation is None:
            self.log.info("ignored: no repository or installation in the delivery")
            return None
        return RepoContext(
            services=self.services,
            event=self.event,
            run=self.run,
            log=self.log.bind(repo=repo),
            repo=repo,
            installation_id=installation,
        )


FlowRouter = Router[DeliveryContext]


@dataclass
class RepoContext:
    """A delivery about one repository: its GitHub port and its configuration.

    Both are made on first use, so a handler that ignores the delivery costs no API call.
    """

    services: Services
    event: Event
    run: StageContext
    log: Any
    repo: str
    installation_id: int

    @functools.cached_property
    def github(self) -> RepoGitHub:
        """The repository as the App's installation sees it."""
        return self.services.github(self.repo, self.installation_id)

    @functools.cached_property
    def config(self) -> RepoConfig:
        """``.github/specbot.yml`` on the default branch, read once per delivery."""
        return self.services.repo_config(self.github)

    @property
    def sender(self) -> str:
        """The login whose action caused the delivery, ``""`` when GitHub sent none."""
        return self.event.sender_login or ""

    def is_self(self) -> bool:
        """True when specbot itself caused the delivery."""
        return is_self(self.event, self.github)

    def may_trigger(self, issue: int) -> bool:
        """Whether the sender may start work here; a refused person is told once on ``issue``.

        A refusal is recorded in the delivery's run as ``delivery.refused`` (who, and why).
        """
        reason = refusal(self.event, self.github, self.config, issue)
        if reason is not None:
            self.run.emit("delivery.refused", {"sender": self.sender, "reason": reason})
        return reason is None


RepoHandler = Callable[[PayloadT, RepoContext], None]
DeliveryHandler = Callable[[Event, DeliveryContext], None]


def on_repository(
    model: type[PayloadT],
) -> Callable[[RepoHandler[PayloadT]], DeliveryHandler]:
    """Wrap a handler of one repository's ``model`` payloads into a router handler.

    A delivery without a repository, or whose payload lacks what ``model`` needs, is ignored
    with one log line naming the first missing or malformed field.
    """

    def wrap(handler: RepoHandler[PayloadT]) -> DeliveryHandler:
        @functools.wraps(handler)
        def run(event: Event, delivery: DeliveryContext) -> None:
            try:
                payload = model.model_validate(event.payload)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "payload"
                delivery.log.info(
                    "ignored: the payload does not fit",
                    handler=handler.__name__,
                    field=where,
                    problem=first["msg"],
                )
                return
            context = delivery.repository
            if context is not None:
                handler(payload, context)

        return run

    return wrap


@dataclass(frozen=True)
class JobContext:
    """One stage of a flow's run: services, the repository's GitHub port, the stage, a log."""

    services: Services
    github: RepoGitHub
    stage: StageContext
    log: Any

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.stage.run_id

    def cancelled(self) -> bool:
        """True once a newer run or a person cancelled this one."""
        return self.services.cancelled(self.stage.run_id)


def job_stage(
    services: Services,
    name: str,
    input_model: type[JobT],
    output_model: type[OutT],
    function: Callable[[JobContext, JobT], OutT],
) -> Stage:
    """A pipeline stage running ``function`` with the job's ``JobContext``."""

    def run(stage: StageContext, job: JobT) -> OutT:
        log = structlog.get_logger("specbot.flows").bind(run_id=stage.run_id, stage=name)
        github = services.github(job.repo, job.installation_id)
        return function(JobContext(services, github, stage, log), job)

    return Stage(name, input_model, output_model, run)
