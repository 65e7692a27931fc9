"""The orchestration patterns as small building blocks (pure: no I/O, no engine imports).

Pipeline (the spec and follow-up flows), swarm (the review: blackboard and consensus rules),
hub-and-spoke (the review of a large pull request by area: task messages), hierarchy (the
follow-up's escalation: written authority) and events (the log, subscriptions, repositories'
event flows) are declared here as data and plain functions;
``bot.adapters.durable`` runs them as durable workflows (the review runs its members as
checkpointed members of its stage).
"""

from bot.orchestra._catalog import Catalog, UnknownPatternError
from bot.orchestra._contracts import NO_RETRY, JsonObject, RetryPolicy, dump_json
from bot.orchestra._events import (
    Event,
    StormError,
    StormLimits,
    Subscription,
    check_pattern,
    matches,
)
from bot.orchestra._hierarchy import (
    Assignment,
    AuthorityError,
    EscalationLimitError,
    Hierarchy,
    Role,
)
from bot.orchestra._hub import TaskMessage, TaskPayload
from bot.orchestra._ids import (
    body_sha,
    delivery_workflow_id,
    issue_partition,
    review_prefix,
    review_workflow_id,
    spec_workflow_id,
)
from bot.orchestra._pipeline import (
    ContractError,
    DeadLetter,
    InMemoryCheckpoints,
    MemberCheckpoints,
    Pipeline,
    Stage,
    StageContext,
    StageInputError,
    current_stage,
    running_stage,
)
from bot.orchestra._queues import (
    BackpressureError,
    QueueSpec,
    RateLimit,
    default_queues,
    default_rate_limits,
)
from bot.orchestra._swarm import (
    Blackboard,
    ConsensusRule,
    ConsensusState,
    Contribution,
    decide_consensus,
    out_of_rounds,
)

__all__ = [
    "current_stage",
    "running_stage",
    "NO_RETRY",
    "Assignment",
    "AuthorityError",
    "BackpressureError",
    "Blackboard",
    "Catalog",
    "ConsensusRule",
    "ConsensusState",
    "ContractError",
    "Contribution",
    "DeadLetter",
    "EscalationLimitError",
    "Event",
    "Hierarchy",
    "InMemoryCheckpoints",
    "MemberCheckpoints",
    "JsonObject",
    "Pipeline",
    "QueueSpec",
    "RateLimit",
    "RetryPolicy",
    "Role",
    "Stage",
    "StageContext",
    "StageInputError",
    "StormError",
    "StormLimits",
    "Subscription",
    "TaskMessage",
    "TaskPayload",
    "UnknownPatternError",
    "body_sha",
    "check_pattern",
    "decide_consensus",
    "default_queues",
    "default_rate_limits",
    "delivery_workflow_id",
    "dump_json",
    "issue_partition",
    "matches",
    "out_of_rounds",
    "review_prefix",
    "review_workflow_id",
    "spec_workflow_id",
]
