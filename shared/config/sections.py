"""The sections of ``config/config.yaml``, with the defaults the product ships.

Unknown keys are errors (a typo must not silently fall back to a default). ``alertorch
validate-config`` reports them with file and line.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator

from shared.events import SafetyLevel
from shared.models import StrictFrozenModel

Environment = Literal["production", "staging", "development"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Criticality = Literal["critical", "high", "medium", "low"]


class SystemSection(StrictFrozenModel):
    name: str = "Alert Orchestrator"
    version: str = "1.0.0"
    environment: Environment = "production"
    log_level: LogLevel = "INFO"


class ComponentsSection(StrictFrozenModel):
    sentry_enabled: bool = True
    slack_enabled: bool = True
    auto_resolution_enabled: bool = True
    error_analysis_enabled: bool = True


class OperationSection(StrictFrozenModel):
    dry_run: bool = False
    monitoring_interval: int = Field(default=300, ge=5, description="Seconds between Sentry polls.")
    max_concurrent_resolutions: int = Field(default=3, ge=1)
    resolution_timeout: int = Field(default=600, ge=1)
    auto_approve_up_to: SafetyLevel = "safe"
    approval_timeout_minutes: float = Field(
        default=60, gt=0, description="An approval request expires after this."
    )


class SentryFetch(StrictFrozenModel):
    default_limit: int = Field(default=100, ge=1, le=100)
    lookback_hours: int = Field(default=24, ge=1)
    include_resolved: bool = False


class SentryFilters(StrictFrozenModel):
    min_severity: Literal["debug", "info", "warning", "error", "fatal"] = "warning"
    exclude_environments: list[str] = Field(default_factory=list)
    exclude_releases: list[str] = Field(default_factory=list)


class SentrySection(StrictFrozenModel):
    base_url: str = Field(
        default="https://sentry.io",
        description="Sentry's address (self-hosted Sentry: its own URL); the API is under /api/0/.",
    )
    projects: list[str] = Field(
        default_factory=list, description="Project slugs to poll; empty polls every project."
    )
    fetch_settings: SentryFetch = SentryFetch()
    error_filters: SentryFilters = SentryFilters()
    request_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of each Sentry API call (connect, read, write)."
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries per Sentry API call on 429, 5xx and network errors before a poll "
        "gives up (it runs again at the next interval).",
    )
    backoff_seconds: float = Field(
        default=1.0, ge=0, description="First retry delay after a 5xx or network error, doubled."
    )
    max_backoff_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Longest wait before a retry; also caps Retry-After and rate-limit waits.",
    )


class SlackChannels(StrictFrozenModel):
    alerts: str = "#alerts"
    resolutions: str = Field(
        default="#devops",
        description="Also gets every automatic fix's news (approval asked, started, succeeded, "
        "failed, rolled back) for problems told in Slack; empty: only their own channels.",
    )
    escalations: str = "#oncall"
    metrics: str = "#monitoring"


class SlackMessages(StrictFrozenModel):
    include_actions: bool = True
    thread_responses: bool = True
    mention_oncall: bool = True


class SlackRateLimiting(StrictFrozenModel):
    max_messages_per_hour: int = Field(default=50, ge=1)
    cooldown_seconds: int = Field(
        default=60,
        ge=0,
        description="A problem back this soon after its resolution opens its old card again "
        "instead of posting a new one (0: always a new card).",
    )


SlackAction = Literal[
    "ack",
    "approve",
    "reject",
    "rollback",
    "snooze",
    "silence",
    "escalate",
    "resolve",
    "create_issue",
]
#: Who may press each button unless configured: ``*`` is anyone who sees the message (a channel
#: member); an empty list is ``authorized_users`` only.
DEFAULT_ACTION_PERMISSIONS: dict[SlackAction, list[str]] = {
    "ack": ["*"],
    "snooze": ["*"],
    "silence": ["*"],
    "escalate": ["*"],
    "create_issue": ["*"],
    "reject": [],
    "resolve": [],
    "approve": [],
    "rollback": [],
}


def _with_default_permissions(given: Any) -> Any:
    return {**DEFAULT_ACTION_PERMISSIONS, **given} if isinstance(given, dict) else given


class SlackSection(StrictFrozenModel):
    api_url: str = "https://slack.com/api/"
    console_url: str = Field(
        default="",
        pattern=r"^(https?://\S+)?$",
        description="The console's address as people open it (https://alerts.example.com): every "
        "alert card then has an Investigate button opening the problem's timeline there.",
    )
    notification_channels: SlackChannels = SlackChannels()
    message_settings: SlackMessages = SlackMessages()
    rate_limiting: SlackRateLimiting = SlackRateLimiting()
    authorized_users: list[str] = Field(
        default_factory=list,
        description="Slack user ids (U…) or user groups (S…) allowed to take every action.",
    )
    action_permissions: Annotated[
        dict[SlackAction, list[str]], BeforeValidator(_with_default_permissions)
    ] = Field(
        default_factory=lambda: dict(DEFAULT_ACTION_PERMISSIONS),
        description="Per button, who else may press it: Slack user ids (U…), user groups (S…), "
        "or * for anyone who sees the message. Actions not listed keep their default.",
    )
    store_url: str = Field(
        default="",
        description="Database of Slack's threads and digests; empty means storage.url (by "
        "default SQLite notifier-slack.db in storage.data_directory).",
    )
    request_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of each Slack API or webhook call."
    )
    per_channel_messages_per_second: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Messages posted to one channel per second at most (Slack allows about 1); "
        "past it a notification is retried later, never dropped.",
    )
    digest_interval_seconds: float = Field(
        default=10.0,
        ge=1,
        description="A problem's root message is redrawn (count, status, latest update) at most "
        "once per this many seconds; occurrences in between are folded into the next redraw.",
    )
    digest_max_interval_seconds: float = Field(
        default=60.0,
        ge=1,
        description="While a problem keeps changing, its card waits longer between redraws the "
        "longer it has been up (as long as it has been up, at least digest_interval_seconds), "
        "up to this: a storm's cards are redrawn a few times, not every interval.",
    )
    webhook_digest_interval_seconds: float = Field(
        default=300.0,
        ge=1,
        description="Webhook-only mode cannot edit messages: occurrences of a problem already "
        "posted are summed into one digest post per this many seconds.",
    )
    digest_updates_per_tick: int = Field(
        default=1,
        ge=1,
        le=50,
        description="Root redraws per second across all problems (Slack's chat.update allows "
        "about 50 a minute); the longest-waiting roots go first.",
    )
    templates: dict[str, str] = Field(
        default_factory=dict,
        description="Notification kind to template name, for templates registered with "
        "register_custom_template(); e.g. {new_alert: custom_alert}.",
    )
    mention_groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="What escalation mentions (oncall, management, ...) stand for: Slack user "
        "ids (U...), user group ids (S...) or here/channel; unlisted names ping no-one.",
    )
    publish_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=2.5,
        description="Longest wait for the broker when a button press is published (Slack "
        "needs its answer within 3 seconds).",
    )
    state_ttl_hours: float = Field(
        default=168.0,
        gt=0,
        description="A problem's thread untouched this long is forgotten; it next alerts in a "
        "new thread.",
    )


class PatternMatching(StrictFrozenModel):
    enable_regex: bool = True
    enable_ml_classification: bool = False


class Categorization(StrictFrozenModel):
    message_weight: float = Field(default=0.4, ge=0, le=1)
    context_weight: float = Field(default=0.3, ge=0, le=1)
    pattern_weight: float = Field(default=0.3, ge=0, le=1)


class ErrorAnalysisSection(StrictFrozenModel):
    confidence_threshold: float = Field(default=0.6, ge=0, le=1)
    learning_enabled: bool = True
    pattern_matching: PatternMatching = PatternMatching()
    categorization: Categorization = Categorization()


class ProductionRestrictions(StrictFrozenModel):
    max_service_restarts: int = Field(default=3, ge=0)
    max_config_changes: int = Field(default=2, ge=0)
    max_dependency_updates: int = Field(default=1, ge=0)
    cooldown_period_minutes: int = Field(default=30, ge=0)


class SafetySettings(StrictFrozenModel):
    max_actions_per_hour: int = Field(default=10, ge=0)
    production_restrictions: ProductionRestrictions = ProductionRestrictions()
    forbidden_actions: list[str] = Field(
        default_factory=lambda: [
            "delete_database",
            "drop_table",
            "remove_user_data",
            "modify_security_config",
        ]
    )
    approval_required: list[str] = Field(
        default_factory=lambda: [
            "infrastructure_changes",
            "network_modifications",
            "security_updates",
        ]
    )


class ConfidenceThresholds(StrictFrozenModel):
    safe_actions: float = Field(default=0.7, ge=0, le=1)
    medium_risk_actions: float = Field(default=0.8, ge=0, le=1)
    high_risk_actions: float = Field(default=0.9, ge=0, le=1)


class RollbackSettings(StrictFrozenModel):
    enable_automatic_rollback: bool = True
    rollback_timeout: int = Field(default=300, ge=1)
    keep_rollback_data_days: int = Field(default=7, ge=0)


class AutoResolutionSection(StrictFrozenModel):
    safety_settings: SafetySettings = SafetySettings()
    confidence_thresholds: ConfidenceThresholds = ConfidenceThresholds()
    rollback_settings: RollbackSettings = RollbackSettings()
    strategies: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Strategy catalog: intent name to executor, target and parameters.",
    )
    operators: list[str] = Field(
        default_factory=list,
        description="Actor ids (Slack user ids, console users) allowed to approve, reject, roll "
        "back, retry and snooze; '*' allows every authenticated actor.",
    )
    verify_drop_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="After a fix the error rate must fall below this share of its rate before.",
    )
    circuit_failures: int = Field(default=3, ge=1, description="Failures that open a breaker.")
    circuit_cooldown_minutes: float = Field(default=15.0, gt=0)
    kubeconfig: str | None = Field(
        default=None,
        description="Kubeconfig path; default in-cluster, then $KUBECONFIG, then ~/.kube/config.",
    )
    store_url: str = Field(
        default="",
        description="The resolver's database URL; empty means storage.url (by default SQLite "
        "in storage.data_directory).",
    )
    tick_seconds: float = Field(
        default=1.0, gt=0, description="How often approval expiries and verifications are checked."
    )
    execution_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a replica's claim on a running fix holds without renewal (renewed "
        "every tick_seconds); a fix whose replica died is marked failed after it, never re-run.",
    )


class EscalationThresholds(StrictFrozenModel):
    critical_errors_per_hour: int = 10
    failed_resolutions_per_hour: int = 5
    error_rate_increase_percent: int = 50
    unresolved_critical_age_minutes: int = 30


class EscalationLevelSummary(StrictFrozenModel):
    name: str
    channels: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)


class EscalationSection(StrictFrozenModel):
    thresholds: EscalationThresholds = EscalationThresholds()
    escalation_levels: dict[str, EscalationLevelSummary] = Field(default_factory=dict)
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Actor id (Slack user id, console user) to roles, e.g. oncall_engineer, "
        "team_lead: checked by de_escalation.manual_de_escalation.approval_roles.",
    )


class ImpactThresholds(StrictFrozenModel):
    low: int = 0
    medium: int = 0
    high: int = 0
    critical: int = 0


class BusinessImpactSection(StrictFrozenModel):
    revenue_thresholds: ImpactThresholds = ImpactThresholds(
        low=100, medium=1000, high=10000, critical=50000
    )
    user_impact_thresholds: ImpactThresholds = ImpactThresholds(
        low=10, medium=100, high=1000, critical=10000
    )
    service_criticality: dict[str, Criticality] = Field(default_factory=dict)
    critical_tags: dict[str, str] = Field(default_factory=dict)


def known_zone(value: str) -> str:
    """``value`` when it names an IANA time zone (``Europe/Berlin``); ValueError otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class ReportingSettings(StrictFrozenModel):
    """Scheduled summaries the console posts to Slack (``slack.notification_channels.metrics``),
    each with a system-health message; ``alertorch report`` prints the same on demand."""

    daily_summary: bool = Field(default=True, description="The last 24 hours, every day.")
    weekly_analysis: bool = Field(
        default=True,
        description="The last 7 days, on maintenance.scheduled_maintenance.weekly_report_day.",
    )
    monthly_trends: bool = Field(
        default=True, description="The previous calendar month, on the 1st."
    )
    hour: int = Field(default=9, ge=0, le=23, description="Local hour the reports are sent.")
    timezone: str = Field(default="UTC", description="IANA time zone of ``hour``.")
    grace_hours: float = Field(
        default=6.0,
        gt=0,
        description="A report the console could not send at its time (it was down, or behind "
        "the topics) is still sent this long after; later it is skipped.",
    )
    check_seconds: float = Field(
        default=60.0, gt=0, description="How often the console looks for a report that is due."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class MonitoringSection(StrictFrozenModel):
    metrics_collection: dict[str, Any] = Field(default_factory=dict)
    health_checks: dict[str, Any] = Field(default_factory=dict)
    performance_tracking: dict[str, Any] = Field(default_factory=dict)
    reporting: ReportingSettings = ReportingSettings()


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)


class ScheduledMaintenance(StrictFrozenModel):
    enabled: bool = True
    daily_cleanup_hour: int = Field(default=2, ge=0, le=23)
    weekly_report_day: Weekday = Field(
        default="sunday", description="The day the weekly report (monitoring.reporting) is sent."
    )


class MaintenanceSection(StrictFrozenModel):
    scheduled_maintenance: ScheduledMaintenance = ScheduledMaintenance()
    updates: dict[str, Any] = Field(default_factory=dict)


class GithubIntegration(StrictFrozenModel):
    """GitHub issues, one per problem and repository. Token: env GITHUB_TOKEN."""

    enabled: bool = False
    api_url: str = "https://api.github.com"
    repository: str = Field(
        default="", description="owner/name used when a github_issue action names none."
    )
    issue_labels: list[str] = Field(default_factory=lambda: ["bug", "auto-generated"])
    comment_on_repeat: bool = Field(
        default=True,
        description="A later notification for a problem that has an issue comments on it "
        "(false: it does nothing).",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Per HTTP request.")
    rate_limited_retry_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Retry delay after a rate-limit answer that carries no reset time.",
    )


JiraFlavour = Literal["cloud", "data_center"]
JIRA_PROJECT_KEY = r"^[A-Z][A-Z0-9_]*$"


def jira_labels(labels: list[str]) -> list[str]:
    """Jira refuses a label with a space: say so when the configuration is read."""
    for label in labels:
        if not label or any(c.isspace() for c in label):
            raise ValueError(f"a Jira label is one word, without spaces: {label!r}")
    return labels


class JiraIntegration(StrictFrozenModel):
    """Jira issues, one per problem and project: Jira Cloud (REST v3, an account's e-mail and
    API token) or Jira Data Center (REST v2, a personal access token). Token: env JIRA_TOKEN."""

    enabled: bool = False
    url: str = Field(
        default="",
        description="The site, e.g. https://example.atlassian.net or https://jira.example.com "
        "(with its context path, if any); empty: env JIRA_URL.",
    )
    flavour: JiraFlavour = Field(
        default="cloud",
        description="cloud: REST v3, descriptions in Atlassian Document Format, basic auth "
        "with user_email and the API token; data_center: REST v2, wiki-markup text, the "
        "personal access token as a Bearer token.",
    )
    user_email: str = Field(
        default="", description="Jira Cloud: the account the API token (JIRA_TOKEN) belongs to."
    )
    project_key: str = Field(
        default="",
        pattern=rf"{JIRA_PROJECT_KEY}|^$",
        description="Project used when a jira_issue action names none, e.g. OPS.",
    )
    issue_type: str = Field(default="Bug", min_length=1, description="Issue type name.")
    labels: list[str] = Field(
        default_factory=lambda: ["alertorch"],
        description="Labels of a new issue when the jira_issue action names none (no spaces).",
    )
    comment_on_repeat: bool = Field(
        default=True,
        description="A later notification for a problem that has an issue comments on it "
        "(false: it does nothing).",
    )
    on_resolve: Literal["close", "comment", "nothing"] = Field(
        default="close",
        description="When the problem is resolved: close the issue with close_transition (a "
        "comment if the issue has no such transition), only comment, or do nothing.",
    )
    close_transition: str = Field(
        default="Done",
        min_length=1,
        description="Name of the workflow transition that closes an issue (any case).",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Per HTTP request.")
    rate_limited_retry_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Retry delay after a 429 that carries neither Retry-After nor a reset time.",
    )

    @field_validator("labels")
    @classmethod
    def _one_word_labels(cls, labels: list[str]) -> list[str]:
        return jira_labels(labels)

    @field_validator("url")
    @classmethod
    def _site(cls, url: str) -> str:
        if url and not url.startswith(("https://", "http://")):
            raise ValueError(f"the Jira site is an http(s) URL: {url!r}")
        return url.rstrip("/")


class PagerDutyIntegration(StrictFrozenModel):
    """PagerDuty Events API v2. Default routing key: env PAGERDUTY_API_KEY."""

    enabled: bool = False
    events_url: str = "https://events.pagerduty.com/v2/enqueue"
    service_key: str = Field(
        default="", description="Routing key used instead of PAGERDUTY_API_KEY when set."
    )
    routing_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Escalation rules' service_key names mapped to Events API v2 routing keys.",
    )
    rate_limit_per_minute: int = Field(
        default=120, ge=1, description="Events sent per routing key per minute, at most."
    )
    throttled_retry_seconds: float = Field(
        default=30.0, gt=0, description="Retry delay after PagerDuty answers 429."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Per HTTP request.")
    source: str = Field(
        default="alertorch", description="payload.source when the alert names no service."
    )


class DatadogIntegration(StrictFrozenModel):
    """Datadog monitor notifications in, on ingest's POST /webhooks/datadog (docs/ingest.md).
    Bearer token: env DATADOG_WEBHOOK_TOKEN."""

    enabled: bool = Field(
        default=False,
        description="Serve POST /webhooks/datadog on ingest; off, the path answers 404.",
    )
    allow_unauthenticated: bool = Field(
        default=False,
        description="Accept Datadog webhooks without DATADOG_WEBHOOK_TOKEN (only on a private "
        "network; warned about at start). Off: without the token the endpoint refuses all.",
    )


class EmailIntegration(StrictFrozenModel):
    """E-mail over SMTP for escalation levels' ``email_notification`` actions."""

    enabled: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = Field(default=None, description="Password: env SMTP_PASSWORD.")
    from_address: str = "alertorch@localhost"
    timeout_seconds: float = Field(default=10.0, gt=0)
    subject_prefix: str = Field(default="[alertorch]", description="Starts every subject.")
    retry_seconds: float = Field(
        default=60.0, gt=0, description="Retry delay after a 4xx answer or no connection."
    )


class IntegrationsSection(StrictFrozenModel):
    email: EmailIntegration = EmailIntegration()
    github: GithubIntegration = GithubIntegration()
    jira: JiraIntegration = JiraIntegration()
    pagerduty: PagerDutyIntegration = PagerDutyIntegration()
    datadog: DatadogIntegration = DatadogIntegration()


class SecuritySection(StrictFrozenModel):
    api_keys: dict[str, Any] = Field(default_factory=dict)
    audit_logging: dict[str, Any] = Field(default_factory=dict)
    access_control: dict[str, Any] = Field(default_factory=dict)


class StorageSection(StrictFrozenModel):
    url: str = Field(
        default="",
        description="Where every service keeps its tables: postgresql://user:password@host:port/db"
        " for replicas; empty means a SQLite file per service in data_directory. Each service's"
        " own store_url setting overrides it.",
    )
    data_directory: str = "./data"
    persistence: dict[str, bool] = Field(default_factory=dict)
    cleanup: dict[str, Any] = Field(default_factory=dict)


class KafkaSection(StrictFrozenModel):
    group_prefix: str = Field(
        default="alertorch",
        min_length=1,
        description="Consumer groups are <group_prefix>-<service>; change it to run two "
        "deployments on one cluster.",
    )
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    replication_factor: int = Field(default=1, ge=1)
    enable_idempotence: bool = Field(
        default=False, description="Idempotent producer; on for Apache Kafka (Tansu lacks it)."
    )
    max_retries: int = Field(
        default=5, ge=0, description="Redeliveries of a failing message before it is dead-lettered."
    )
    retry_backoff_seconds: float = Field(default=0.5, ge=0)
    max_retry_backoff_seconds: float = Field(default=30.0, ge=0)
    dlq_max_per_minute: int = Field(
        default=120,
        ge=1,
        description="Dead-letter budget per consumer; past it the consumer stops and goes unready "
        "instead of dead-lettering everything.",
    )
    batch_max_records: int = Field(
        default=500, ge=1, le=10_000, description="Most messages a consumer handles as one batch."
    )
    batch_max_wait_ms: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="How long a consumer waits for messages when none are there; what is there "
        "is taken at once, so a lone alert never waits for a batch to fill.",
    )
    fetch_max_wait_ms: int = Field(
        default=20,
        ge=1,
        le=5000,
        description="Longest a consumer's fetch waits on the broker for new messages: the floor "
        "of each hop's latency when the broker does not answer a waiting fetch early.",
    )
    background_fetch_max_wait_ms: int = Field(
        default=250,
        ge=1,
        le=5000,
        description="The same for consumers off the alert path (commands, silences, the "
        "console's read model): an idle consumer polls the broker this often.",
    )
    graceful_timeout_seconds: float = Field(default=15.0, gt=0)
    session_timeout_ms: int = Field(
        default=10000, ge=500, description="Consumer group session timeout."
    )
    heartbeat_interval_ms: int = Field(default=3000, ge=100)
    rebalance_timeout_ms: int = Field(
        default=10000, ge=500, description="Time members get to rejoin during a rebalance."
    )


class IngestSection(StrictFrozenModel):
    """The ingest service: inbound HTTP limits and its own store."""

    store_url: str = Field(
        default="", description="Store URL; empty means sqlite in storage.data_directory."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger bodies get 413.")
    max_decompressed_bytes: int = Field(
        default=20_971_520,
        ge=1024,
        description="Bodies that inflate (gzip, deflate, brotli) past this get 413.",
    )
    publish_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait for the broker's acknowledgement; past it the answer is 503.",
    )
    retry_after_seconds: int = Field(
        default=30, ge=1, description="Retry-After sent with a 503 when the broker does not ack."
    )
    request_id_ttl_hours: int = Field(
        default=72,
        ge=1,
        description="How long a webhook Request-ID (or Idempotency-Key) is remembered, so "
        "redeliveries are not published twice.",
    )
    alertmanager_allow_unauthenticated: bool = Field(
        default=False,
        description="Accept Alertmanager webhooks without ALERT_WEBHOOK_TOKEN (only on a private "
        "network; warned about at start). Off: without the token the endpoint refuses all.",
    )
    poller_lease_seconds: float = Field(
        default=15.0,
        ge=3,
        description="The Sentry poller runs on one replica at a time, holding a lease in the "
        "store renewed every third of this; when that replica dies another takes over within "
        "this time plus a third.",
    )


class ImpactWeights(StrictFrozenModel):
    """Relative weights of the business impact score's factors (normalised to 100)."""

    environment: float = Field(default=0.2, ge=0)
    severity: float = Field(default=0.3, ge=0)
    users: float = Field(default=0.2, ge=0)
    frequency: float = Field(default=0.2, ge=0)
    criticality: float = Field(default=0.1, ge=0)


class AnalyzerSection(StrictFrozenModel):
    """The analyzer service: template mining, per-fingerprint state and its own store."""

    store_url: str = Field(
        default="", description="Store URL; empty means sqlite in storage.data_directory."
    )
    drain_similarity: float = Field(default=0.6, gt=0, le=1)
    drain_depth: int = Field(default=4, ge=3)
    drain_max_clusters: int = Field(default=10_000, ge=10)
    template_snapshot_seconds: float = Field(default=30.0, gt=0)
    max_fingerprints: int = Field(
        default=100_000, ge=10, description="Per-fingerprint states kept in memory (LRU)."
    )
    state_ttl_hours: float = Field(
        default=48.0, gt=0, description="State of a fingerprint silent this long is dropped."
    )
    duplicate_window_seconds: float = Field(
        default=900.0,
        gt=0,
        description="An event id counted this recently is a duplicate (a producer's resend, a "
        "replayed envelope) and is not counted again; ids are kept this long.",
    )
    incident_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A new problem joins an open incident it shares a service and environment, "
        "a release or a named dependency with when it starts within this many seconds of the "
        "incident's latest problem; otherwise it opens its own.",
    )
    baseline_alpha: float = Field(default=0.05, gt=0, lt=1)
    spike_z_threshold: float = Field(default=3.0, gt=0)
    spike_min_count: int = Field(default=5, ge=1)
    patterns_reload_seconds: float = Field(
        default=5.0, gt=0, description="How often error_patterns.json is checked for changes."
    )
    environment_weights: dict[str, float] = Field(
        default_factory=lambda: {"production": 1.0, "staging": 0.4, "development": 0.1}
    )
    impact_weights: ImpactWeights = ImpactWeights()
