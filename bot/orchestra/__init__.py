"""The five orchestration patterns as small building blocks (pure: no I/O, no engine imports).

Pipeline, swarm, hub-and-spoke coordinator, hierarchy and events are declared here as data and
plain functions; ``bot.adapters.durable`` runs them as durable workflows.
"""

from bot.orchestra._builders import FlowConfigError, build_pipeline, build_swarm
from bot.orchestra._catalog import Catalog, UnknownPatternError
from bot.orchestra._contracts import NO_RETRY, JsonObject, RetryPolicy, dump_json
from bot.orchestra._coordinator import (
    Coordinator,
    TaskMessage,
    TaskPayload,
    TaskRecord,
    TaskRegistry,
    TaskResult,
    collect_outputs,
)
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
    Pipeline,
    Stage,
    StageContext,
    StageInputError,
)
from bot.orchestra._queues import (
    BackpressureError,
    QueueSpec,
    RateLimit,
    default_queues,
    default_rate_limits,
)
from bot.orchestra._swarm import (
    AgentFunction,
    AgentReport,
    AgentView,
    Blackboard,
    ConsensusRule,
    ConsensusState,
    Contribution,
    Finding,
    MergedFinding,
    Swarm,
    SwarmAgent,
    decide_consensus,
    deduplicate,
    synthesize_findings,
)

__all__ = [
    "NO_RETRY",
    "AgentFunction",
    "AgentReport",
    "AgentView",
    "Assignment",
    "AuthorityError",
    "BackpressureError",
    "Blackboard",
    "Catalog",
    "ConsensusRule",
    "ConsensusState",
    "ContractError",
    "Contribution",
    "Coordinator",
    "DeadLetter",
    "EscalationLimitError",
    "Event",
    "Finding",
    "FlowConfigError",
    "Hierarchy",
    "JsonObject",
    "MergedFinding",
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
    "Swarm",
    "SwarmAgent",
    "TaskMessage",
    "TaskPayload",
    "TaskRecord",
    "TaskRegistry",
    "TaskResult",
    "UnknownPatternError",
    "body_sha",
    "build_pipeline",
    "build_swarm",
    "check_pattern",
    "collect_outputs",
    "decide_consensus",
    "deduplicate",
    "default_queues",
    "default_rate_limits",
    "delivery_workflow_id",
    "dump_json",
    "issue_partition",
    "matches",
    "review_prefix",
    "review_workflow_id",
    "spec_workflow_id",
    "synthesize_findings",
]
