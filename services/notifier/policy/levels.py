"""Escalation levels and their actions, and the delivery targets each action names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from shared.config.integrations import JIRA_PROJECT_KEY, jira_labels
from shared.events import Target
from shared.models import StrictFrozenModel

SlackSeverity = Literal["info", "warning", "high", "critical"]
#: Who ``mention_oncall`` / ``mention_management`` mention; delivery resolves these groups.
ONCALL, MANAGEMENT = "oncall", "management"


class AutoResolveAction(StrictFrozenModel):
    type: Literal["auto_resolve"]
    confidence_threshold: float = Field(default=0.7, ge=0.0, le=1.0)


class SlackAction(StrictFrozenModel):
    type: Literal["slack_notification"]
    channels: list[str] = Field(min_length=1)
    severity: SlackSeverity = "info"
    include_actions: bool = False
    mention_oncall: bool = False
    mention_management: bool = False
    mentions: list[str] = Field(default_factory=list)


class EmailAction(StrictFrozenModel):
    type: Literal["email_notification"]
    recipients: list[str] = Field(min_length=1)


class PagerDutyAction(StrictFrozenModel):
    type: Literal["pagerduty_alert"]
    service_key: str = Field(min_length=1)


class PhoneCallAction(StrictFrozenModel):
    """A phone call is a high-urgency PagerDuty page naming the people to call."""

    type: Literal["phone_call"]
    recipients: list[str] = Field(default_factory=list)
    service_key: str | None = None


class IncidentAction(StrictFrozenModel):
    type: Literal["incident_creation"]
    priority: str = Field(default="P1", pattern=r"^P[1-5]$")


class GitHubAction(StrictFrozenModel):
    type: Literal["github_issue"]
    repository: str | None = None
    labels: list[str] = Field(default_factory=list)


class JiraAction(StrictFrozenModel):
    type: Literal["jira_issue"]
    project: str | None = Field(default=None, pattern=JIRA_PROJECT_KEY)
    labels: list[str] = Field(default_factory=list)

    @field_validator("labels")
    @classmethod
    def _one_word_labels(cls, labels: list[str]) -> list[str]:
        return jira_labels(labels)


Action = Annotated[
    AutoResolveAction
    | SlackAction
    | EmailAction
    | PagerDutyAction
    | PhoneCallAction
    | IncidentAction
    | GitHubAction
    | JiraAction,
    Field(discriminator="type"),
]


class EscalationLevel(StrictFrozenModel):
    name: str = Field(min_length=1)
    description: str = ""
    timeout_minutes: float | None = Field(
        default=None, gt=0, description="None: global_settings.auto_escalation_timeout_minutes"
    )
    actions: list[Action] = Field(default_factory=list)

    @model_validator(mode="after")
    def _phone_calls_have_a_service(self) -> EscalationLevel:
        has_pagerduty = any(isinstance(a, PagerDutyAction) for a in self.actions)
        for action in self.actions:
            if isinstance(action, PhoneCallAction) and not (action.service_key or has_pagerduty):
                raise ValueError(
                    "phone_call goes through PagerDuty: give it a service_key or add a "
                    "pagerduty_alert action to the level"
                )
        return self

    @property
    def include_actions(self) -> bool:
        return any(isinstance(a, SlackAction) and a.include_actions for a in self.actions)

    def targets(self) -> tuple[Target, ...]:
        """Where this level's notification goes: Slack channels, e-mail, PagerDuty, GitHub,
        Jira."""
        found: dict[tuple[str, str | None], list[str]] = {}
        pagerduty_key: str | None = None
        for action in self.actions:
            if isinstance(action, SlackAction):
                mentions = [*action.mentions]
                mentions += [ONCALL] if action.mention_oncall else []
                mentions += [MANAGEMENT] if action.mention_management else []
                for channel in action.channels:
                    _add(found, ("slack", channel), mentions)
            elif isinstance(action, EmailAction):
                for recipient in action.recipients:
                    _add(found, ("email", recipient), [])
            elif isinstance(action, PagerDutyAction):
                pagerduty_key = pagerduty_key or action.service_key
                _add(found, ("pagerduty", action.service_key), [])
            elif isinstance(action, GitHubAction):
                _add(found, ("github", action.repository), [f"label:{x}" for x in action.labels])
            elif isinstance(action, JiraAction):
                _add(found, ("jira", action.project), [f"label:{x}" for x in action.labels])
        for action in self.actions:
            if isinstance(action, PhoneCallAction):
                key = action.service_key or pagerduty_key
                _add(found, ("pagerduty", key), [f"phone:{r}" for r in action.recipients])
        return tuple(
            Target(type=kind, channel=channel, mentions=mentions)
            for (kind, channel), mentions in found.items()
        )


def _add(
    found: dict[tuple[str, str | None], list[str]], key: tuple[str, str | None], mentions: list[str]
) -> None:
    merged = found.setdefault(key, [])
    merged.extend(m for m in mentions if m not in merged)
