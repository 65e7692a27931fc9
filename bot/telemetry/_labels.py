"""Label values the metrics accept: a known set, or the first few seen, and ``other`` after.

Each distinct label value is a time series Prometheus keeps for weeks, so no label may take
values from outside without a bound: an unsigned delivery's event header, a model name a
repository's configuration chose. Values are kept as written otherwise (prometheus-client
escapes quotes, backslashes and newlines in the exposition), cut to ``MAX_LABEL_CHARS``.
"""

from __future__ import annotations

import threading

OTHER = "other"
UNKNOWN = "unknown"
MAX_LABEL_CHARS = 100

# GitHub's webhook event names (docs.github.com, "Webhook events and payloads"). A delivery
# whose X-GitHub-Event is not one of them is counted as ``other``: the header of a refused
# delivery is whatever its sender wrote.
GITHUB_EVENTS = frozenset(
    {
        "branch_protection_configuration",
        "branch_protection_rule",
        "check_run",
        "check_suite",
        "code_scanning_alert",
        "commit_comment",
        "create",
        "custom_property",
        "custom_property_values",
        "delete",
        "dependabot_alert",
        "deploy_key",
        "deployment",
        "deployment_protection_rule",
        "deployment_review",
        "deployment_status",
        "discussion",
        "discussion_comment",
        "fork",
        "github_app_authorization",
        "gollum",
        "installation",
        "installation_repositories",
        "installation_target",
        "issue_comment",
        "issue_dependencies",
        "issues",
        "label",
        "marketplace_purchase",
        "member",
        "membership",
        "merge_group",
        "meta",
        "milestone",
        "org_block",
        "organization",
        "package",
        "page_build",
        "personal_access_token_request",
        "ping",
        "project",
        "project_card",
        "project_column",
        "projects_v2",
        "projects_v2_item",
        "projects_v2_status_update",
        "public",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
        "push",
        "registry_package",
        "release",
        "repository",
        "repository_advisory",
        "repository_dispatch",
        "repository_import",
        "repository_ruleset",
        "repository_vulnerability_alert",
        "secret_scanning_alert",
        "secret_scanning_alert_location",
        "secret_scanning_scan",
        "security_advisory",
        "security_and_analysis",
        "sponsorship",
        "star",
        "status",
        "sub_issues",
        "team",
        "team_add",
        "watch",
        "workflow_dispatch",
        "workflow_job",
        "workflow_run",
    }
)
HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})


def one_of(value: object, known: frozenset[str]) -> str:
    """``value`` if it is one of ``known``, else ``other``."""
    return value if isinstance(value, str) and value in known else OTHER


def status_class(status: object) -> str:
    """An HTTP status as its class (``2xx`` ... ``5xx``); ``error`` when there was no answer."""
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return f"{status // 100}xx"
    return "error"


def status_code(status: object) -> str:
    """An HTTP status as written (``429``); ``none`` when there was no valid one."""
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return str(status)
    return "none"


class BoundedLabel:
    """The first ``limit`` distinct values pass as they are; later new ones become ``other``.

    For labels whose values come from code and configuration (flows, stages, models, roles):
    a handful in practice, but a repository's configuration names its models and agents.
    """

    def __init__(self, limit: int = 50) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: object) -> str:
        """The label value to record for ``value``."""
        if not isinstance(value, str) or not value:
            return UNKNOWN
        value = value[:MAX_LABEL_CHARS]
        if value in self._seen:  # the common case, without the lock
            return value
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(value)
            return value
