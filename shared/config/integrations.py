"""The ``integrations:`` section of ``config.yaml``: GitHub, Jira, PagerDuty, Datadog and e-mail
(see docs/delivery.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from shared.config.knobs import RequestTimeout
from shared.models import StrictFrozenModel


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
    timeout_seconds: RequestTimeout = Field(default=10.0, description="Per HTTP request.")
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
    timeout_seconds: RequestTimeout = Field(default=10.0, description="Per HTTP request.")
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
    timeout_seconds: RequestTimeout = Field(default=10.0, description="Per HTTP request.")
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
    timeout_seconds: RequestTimeout = 10.0
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
